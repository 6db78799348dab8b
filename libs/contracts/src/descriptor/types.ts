/** What a node runs: a real process the agent spawns, bound to its host's address. */
export interface AppSpec {
  version: string;
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /**
   * working directory of the process; default: the node's own folder. Relative: inside the node's
   * own folder. Absolute: a path on the machine, under VNF_APP_ROOTS; for an app that names its
   * `image` (and no `docker.cwd`), a path in the image, under the docker zone's `appRoots`
   */
  cwd?: string;
  /** the image a docker host of this app runs (default: the zone's `image`); process hosts ignore it */
  image?: string;
  /**
   * How a docker host runs the app where that differs from a process host (appOnHost): its
   * command, args and cwd in the image, so that one descriptor runs in both kinds of zone
   */
  docker?: { command?: string; args?: string[]; cwd?: string };
  /** the port it serves on its host's address */
  port: number;
  /** how to make it re-read its config after a reconfiguration */
  reload?: { signal?: 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2'; command?: string[] };
}

export interface HealthCheck {
  /** HTTP path probed on the node's address and port; 2xx is healthy */
  http: string;
  intervalMs?: number;
  /** how long start application waits for the first healthy answer */
  timeoutMs?: number;
}

/**
 * The VNFM's own scaling policy: the cluster's average of `metric` (as its agents report it from
 * the application's /metrics) above `out` asks for one more node, below `in` for one less,
 * within min..max, at most once per `cooldownMs`.
 */
export interface Autoscale {
  metric: string;
  out: number;
  in: number;
  cooldownMs?: number;
}

/** What one node of a cluster may use: CPUs (fractions allowed) and memory in MiB. */
export interface Resources {
  cpus?: number;
  memoryMiB?: number;
}

export interface ClusterSpec {
  name: string;
  nodes: number;
  min?: number;
  max?: number;
  zone?: string;
  app: AppSpec;
  health?: HealthCheck;
  /** clusters this one is a client of */
  dependsOn?: string[];
  /** each node's CPU and memory limits, enforced by drivers that can (docker); process zones ignore them */
  resources?: Resources;
  autoscale?: Autoscale;
  /** other versions of the application an upgrade may name (`app` is the one running) */
  versions?: AppSpec[];
}

export interface VnfDescriptor {
  name: string;
  description?: string;
  clusters: ClusterSpec[];
}

/** One member of a cluster as its peers and clients see it. */
export interface Endpoint {
  node: string;
  address: string;
  port: number;
  version?: string;
}
