/** Unit tests sit beside the code; integration tests in test/ start a real nats-server and real processes. */
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@vnf-lcm/(contracts|bus|auth)$': '<rootDir>/libs/$1/src/index.ts',
    // the subpaths the libraries' package.json export (a folder's index, or a file)
    '^@vnf-lcm/(contracts|bus)/(agent|common|wire)$': '<rootDir>/libs/$1/src/$2/index.ts',
    '^@vnf-lcm/(contracts|bus|auth)/([a-z/-]+)$': '<rootDir>/libs/$1/src/$2.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.spec.json' }] },
  testEnvironment: 'node',
};
export default {
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/src/**/*.spec.ts', '<rootDir>/apps/**/src/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/test/chaos/', '/test/chaos-docker/'] },
    // every service killed in the middle of every algorithm: minutes long, so apart (CI runs it)
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.test.ts'] },
    // the docker driver's chaos cases: minutes long and need dockerd, so apart
    // (npm run test:chaos:docker); CI runs them after the process matrix
    { ...common, displayName: 'chaos-docker', testMatch: ['<rootDir>/test/chaos-docker/**/*.test.ts'] },
  ],
};
