/**
 * A spare agent (docs/adr/0027-warm-spare-agent.md): a vnf-agent the process driver starts ahead
 * of any host, which loads everything that does not depend on the node (its code, TLS and the
 * CA's secure context) and then waits for its assignment on stdin. Between the driver (VIM) and
 * the agent only, over a pipe: nothing of it is on the bus.
 */
export const Spare = {
  /** the command-line flag of a spare; its marker in /proc/<pid>/cmdline until it is assigned */
  flag: '--spare',
  /**
   * A spare's last argument: blanks that make room in its command line for the title it takes
   * once assigned (`<node binary> <agent> --node=<id>`, as a cold agent's reads), which Node.js
   * can write only over the memory of its own arguments. One per character a node id may have;
   * started through a loader (ADR 32) the title names the loader, and the driver adds a blank
   * per byte its path is longer than Node.js's.
   */
  room: ' '.repeat(64),
  /** the file descriptor on which a spare writes one line once it is ready, then closes */
  readyFd: 3,
  /**
   * What an assignment may put into the agent's environment: what the VIM puts into a cold
   * agent's (so that its application inherits the same), nothing else.
   */
  env: ['VNF_NODE', 'VNF_ADDRESS', 'VNF_WORKDIR', 'NATS_URL', 'HOME'] as const,
} as const;

export type SpareEnvName = (typeof Spare.env)[number];

/**
 * The one message a spare reads from stdin (all of it, up to its end): what a cold agent gets
 * from its environment, its folder and stdin. A spare whose stdin ends without one exits 0.
 */
export interface SpareAssignment {
  /** set in the agent's environment before it reads its start-up parameters, as a cold agent's */
  env: Partial<Record<SpareEnvName, string>>;
  /** the node's NATS credentials (user JWT and seed), minted for this start; none on an open bus */
  creds?: string;
  /** the file its output goes to from now on (a cold agent's stdout and stderr) */
  log: string;
}

/** The command line a cold agent has (its Node.js flags included), and a spare takes as its title once assigned. */
export const agentTitle = (execPath: string, main: string, node: string, flags: readonly string[] = []): string =>
  [execPath, ...flags, main, `--node=${node}`].join(' ');
