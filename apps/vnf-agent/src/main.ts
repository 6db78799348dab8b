import { main } from './agent.js';

// the unbundled agent (dist/main.js, an ES module), run where the bundle is not built; the
// bundle's entry is agent.ts, started by boot.cjs with its code cache (docs/adr/0030)
void main();
