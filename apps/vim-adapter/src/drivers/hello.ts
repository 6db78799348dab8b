import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { Agent } from '@vnf-lcm/contracts';

/** after this long without a hello, the agent is asked for its status instead */
const PROBE_AFTER_MS = 300;
const PROBE_EVERY_MS = 300;

/**
 * Waits for a new agent to be up: its hello, or (from PROBE_AFTER_MS on) an answer to its status
 * request. A hello is sent once; if NATS restarted meanwhile, it may have reached a server that
 * no longer had this adapter's subscription, and an agent that answers is up all the same
 * (issue 12: a NATS restart fails no step). Open it before the agent exists, so that its hello
 * cannot be missed.
 */
export class HelloWaiter {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly node: string,
    private readonly sub: Subscription,
  ) {}

  static async open(nc: NatsConnection, node: string): Promise<HelloWaiter> {
    const sub = nc.subscribe(Agent.hello(node), { max: 1 });
    // known to the server before the agent exists
    await nc.flush();
    return new HelloWaiter(nc, node, sub);
  }

  /** undefined once the agent is up; else why not (`failed`: its early exit, found by the driver) */
  wait(timeoutMs: number, failed: Promise<string | undefined>): Promise<string | undefined> {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<string | undefined>((resolve) => {
      timer = setTimeout(() => resolve(`no hello from the agent within ${timeoutMs} ms`), timeoutMs);
      void failed.then((why) => why && resolve(why));
      void (async () => {
        for await (const _ of this.sub) resolve(undefined);
      })();
      void (async () => {
        await sleep(PROBE_AFTER_MS);
        while (!done) {
          if (await this.answers()) resolve(undefined);
          await sleep(PROBE_EVERY_MS);
        }
      })();
    }).finally(() => {
      done = true;
      clearTimeout(timer);
      this.close();
    });
  }

  close(): void {
    this.sub.unsubscribe();
  }

  private answers(): Promise<boolean> {
    // not up yet, or NATS is away: the hello or the next probe says
    return agentAnswers(this.nc, this.node, PROBE_EVERY_MS);
  }
}

/**
 * Whether a node's agent answers a status request within `timeoutMs`: it runs, with its
 * identity, on this bus. Untraced: the arrow of the step that asks covers it.
 */
export async function agentAnswers(nc: NatsConnection, node: string, timeoutMs: number): Promise<boolean> {
  try {
    const reply = (await nc.request(Agent.subject(Agent.Verb.status, node), '{}', { timeout: timeoutMs })).json<{ error?: unknown }>();
    return !reply?.error;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
