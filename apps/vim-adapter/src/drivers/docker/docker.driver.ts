import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { NodeIdentity } from '@vnf-lcm/auth';
import { KeyedLock, natsUrl, rpcError } from '@vnf-lcm/bus';
import { Agent, TOKEN_RE } from '@vnf-lcm/contracts';
import { agentAnswers, HelloWaiter } from '../hello.js';
import type { Driver, DriverDeps, HostDownListener, HostInfo, HostSpec, LogsOptions, LogsReply, StopOptions } from '../driver.js';
import { linesOf, textLogs } from '../log-text.js';
import { allocate, newHost } from '../address.js';
import { DockerClient, DockerConflict, DockerError, DockerNotFound, DockerUnreachable, type ContainerInspect, type DockerEvent } from './client.js';
import { DEFAULT_SCOPE, type DockerZone } from './options.js';
import { tar, untar } from './tar.js';

/** The labels a host container carries: they are its host record (set at creation, never changed). */
export const Labels = {
  vnf: 'vnf-lcm.vnf',
  cluster: 'vnf-lcm.cluster',
  node: 'vnf-lcm.node',
  zone: 'vnf-lcm.zone',
  address: 'vnf-lcm.address',
  createdAt: 'vnf-lcm.created-at',
  scope: 'vnf-lcm.scope',
  /** the image it runs: the application's own (HostSpec.image), else the zone's */
  image: 'vnf-lcm.image',
  /**
   * the public JWT of the identity minted with the container, for its first start (ADR 36); an
   * identity minted at a later start is written to `/vnf-lcm/identity.jwt`, which then wins
   */
  identity: 'vnf-lcm.identity',
} as const;

/** The labels of the agent root image (scripts/images.mjs): how to run the agent, where it goes. */
const AGENT_COMMAND_LABEL = 'vnf-lcm.agent.command';
const AGENT_MOUNT_LABEL = 'vnf-lcm.agent.mount';

/**
 * What a start writes into a container, in one archive, only when the container's creation could
 * not say it (ADR 36): each PUT costs the engine 50–60 ms of CPU.
 * - `/vnf-lcm/identity.jwt`, root's: the public JWT of an identity minted at a start other than
 *   the container's first (what the keeper needs to revoke it; the first is the `identity`
 *   label). Its mtime is the JWT's fingerprint, so that a HEAD tells whether it is still the one
 *   this adapter wrote.
 * - the agent's working folder, the container user's alone, when the image has no world-writable
 *   `/tmp` in which the agent makes it itself.
 */
const VIM_DIR = '/vnf-lcm';
const IDENTITY_FILE = 'identity.jwt';
/** the agent's working folder (VNF_WORKDIR): in the container's own layer, so `docker cp` reads it */
const WORKDIR = '/tmp/vnf-lcm';
/** where containers made before ADR 36 have it: read from each container's environment */
const WORKDIR_ENV = 'VNF_WORKDIR=';
/** the application's output, written by the agent (vnf-agent HostPaths.appLog), in its working folder */
const APP_LOG = 'app/app.log';
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
/** passed on to each agent when the adapter has them: timers, log level, V8 flags */
const PASSED_ENV = ['VNF_HEARTBEAT_MS', 'LOG_LEVEL', 'VNF_BASELINE'];
/** how long a cut-short start's container, or one whose agent failed, gets to stop */
const QUICK_STOP_S = 2;
/** SIGTERM to SIGKILL when a host is stopped without its agent having been asked */
const STOP_GRACE_S = 5;
/** the event stream, once dropped, is opened again after this, doubling up to the max */
const EVENTS_RETRY_MS = 250;
const EVENTS_RETRY_MAX_MS = 5_000;
/** how long an agent gets to answer a status request before its host counts as 'creating' */
const STATUS_TIMEOUT_MS = 500;
/** identity JWTs, and containers whose agent was heard, remembered (a few hundred bytes each at most) */
const MAX_REMEMBERED = 4_096;

/**
 * A virtual host is a container `vnf-<node>` of its application's image (else the zone's), on the host network with its
 * own loopback address (or with a static address on a user-defined network), running the agent
 * from a read-only volume made from the agent root image (ADR 15), as an unprivileged user. The
 * containers' labels are the registry: a restarted adapter finds its hosts by listing them.
 */
export class DockerDriver implements Driver {
  readonly kind = 'docker';
  readonly zone: string;
  readonly docker: DockerClient;
  private readonly alloc = new KeyedLock();
  private readonly volumes = new KeyedLock();
  /**
   * The identity JWT this adapter last wrote into each container, by container id: reading it back
   * (GET archive) costs the engine 60–100 ms, a HEAD of the file 2 ms. Checked against the file's
   * fingerprint before use: another adapter of the same zones may have started it since.
   */
  private readonly jwts = new Map<string, string>();
  /**
   * Containers whose agent this adapter heard: its hello at start(), or an answer to a status
   * request. A running container whose agent it has not heard is 'creating' until the agent
   * answers. Asked, not written into the container: a hello file cost the engine a PUT (50–60 ms
   * of its CPU) at every start, and a restarted adapter had to trust a file over the agent itself.
   */
  private readonly heard = new Set<string>();
  /**
   * containers this adapter created and has not started yet, with the identity minted for their
   * first start (its JWT is their label; its seed, only here, goes to the agent's standard input)
   */
  private readonly fresh = new Map<string, NodeIdentity | undefined>();
  /** by image id: whether its `/tmp` is a folder every user may write to (asked once, by HEAD) */
  private readonly tmpWritable = new Map<string, boolean>();

  constructor(
    private readonly o: DockerZone,
    private readonly deps: DriverDeps,
    docker?: DockerClient,
  ) {
    this.zone = o.zone;
    this.docker = docker ?? new DockerClient(o.socket);
    // said at start-up, not only at the first host: the adapter itself runs without Docker
    this.docker.ping().catch((err: Error) => deps.log.warn({ zone: o.zone, socket: o.socket, err: err.message }, 'docker is not reachable'));
  }

  /** The container's name: node ids are unique among a VIM's zones, scopes set VIMs apart. */
  nameOf(node: string): string {
    return this.o.scope === DEFAULT_SCOPE ? `vnf-${node}` : `vnf-${this.o.scope}-${node}`;
  }

  async create(spec: HostSpec): Promise<HostInfo> {
    // one allocation at a time per zone: two new nodes must not take the same address
    return this.alloc.run('address', () =>
      this.guard(async () => {
        const existing = await this.get(spec.node);
        if (existing) return existing;
        const image = spec.image ?? this.o.image;
        const [containers, agent, imageEnv, ca, identity] = await Promise.all([
          this.docker.list(this.filters()),
          this.agentRoot(),
          this.imageEnv(image),
          this.caPem(),
          // minted with the container, so that its first start writes nothing into it (ADR 36)
          this.deps.identities.mint(spec.node),
        ]);
        const taken = containers.map((c) => c.Labels?.[Labels.address]).filter((a): a is string => !!a);
        const address = allocate(this.o.range, taken, this.zone);
        const createdAt = new Date().toISOString();
        const labels: Record<string, string> = {
          [Labels.vnf]: spec.vnf,
          [Labels.cluster]: spec.cluster,
          [Labels.node]: spec.node,
          [Labels.zone]: this.zone,
          [Labels.address]: address,
          [Labels.createdAt]: createdAt,
          [Labels.scope]: this.o.scope,
          [Labels.image]: image,
          ...(identity ? { [Labels.identity]: identity.jwt } : {}),
        };
        const name = this.nameOf(spec.node);
        let id: string;
        try {
          id = await this.docker.create(name, this.containerSpec(spec, address, labels, agent, image, imageEnv, ca));
        } catch (err) {
          // never handed to an agent, its seed dropped here: nothing can connect with it
          if (err instanceof DockerConflict) throw rpcError('conflict', `container ${name} exists but is not a host of zone ${this.zone}`, { container: name });
          if (err instanceof DockerNotFound) throw noImage(image, this.zone);
          throw err;
        }
        this.fresh.set(id, identity);
        if (this.fresh.size > MAX_REMEMBERED) this.fresh.delete(this.fresh.keys().next().value!);
        const host = newHost(spec, this.zone, this.kind, address, id, createdAt);
        this.deps.log.info({ vnf: host.vnf, node: host.node, zone: this.zone, address, container: name, image }, 'docker host created');
        return host;
      }),
    );
  }

  async start(host: HostInfo): Promise<HostInfo> {
    return this.guard(async () => {
      const { nc, log } = this.deps;
      const c = await this.inspect(host.node);
      if (!c) throw rpcError('unavailable', `container ${this.nameOf(host.node)} of node ${host.node} is gone`, { node: host.node });
      const id = c.Id;
      // not heard from this start's agent yet
      this.heard.delete(id);
      // the agent's environment was fixed at creation: with NATS_CREDS=- it waits for credentials
      const takesCreds = c.Config.Env?.includes('NATS_CREDS=-') ?? false;
      if (takesCreds !== this.deps.identities.enabled) {
        const made = takesCreds ? 'with' : 'without';
        throw rpcError('conflict', `container of node ${host.node} was made ${made} node identities: remove the host and activate it again`, {
          node: host.node,
        });
      }
      // an agent left by a start that never saw its hello (the adapter died meanwhile) goes
      // first: one agent per node, one identity per agent
      if (c.State.Running) {
        log.warn({ vnf: host.vnf, node: host.node, container: id }, 'stopping container of an unfinished start');
        await this.docker.stop(id, QUICK_STOP_S);
      }
      // the first start of a container made here takes the identity minted with it; any other
      // start (a restarted adapter, an agent that stopped) revokes what it had and mints anew
      const first = this.fresh.has(id) && c.State.Status === 'created';
      const identity = first ? this.fresh.get(id) : await this.replaceIdentity(host.node, c);
      this.fresh.delete(id);
      const written = first ? undefined : identity;
      const archive = this.startFiles(written?.jwt, !(await this.tmpWritableIn(c)));
      const files = async () => {
        if (archive) await this.docker.putArchive(id, '/', archive);
      };
      if (written) this.remember(id, written.jwt);
      if (!identity) await files();

      const hello = await HelloWaiter.open(nc, host.node);
      let stdin: Socket | undefined;
      try {
        // the credentials go through the container's standard input, read once by the agent:
        // never a file, a label or the environment, which its application (or docker inspect) could read
        if (identity) stdin = await this.docker.attachStdin(id);
        await this.docker.start(id);
        // an agent with an identity reads nothing before its credentials: any files are written
        // while it boots (the PUT costs the engine about 50 ms, as long as the agent's own start)
        if (identity) await files();
      } catch (err) {
        hello.close();
        stdin?.destroy();
        if (identity) await this.docker.stop(id, QUICK_STOP_S).catch(() => undefined);
        throw err;
      }
      if (identity && stdin) {
        stdin.on('error', () => undefined); // an agent that died at once: its exit is reported below
        stdin.end(Buffer.from(identity.creds));
      }
      const failure = await this.helloOrFailure(hello, id);
      stdin?.destroy();
      if (failure) {
        const logs = await this.docker.logs(id, 40).catch((err: Error) => `(no log: ${err.message})`);
        await this.docker.stop(id, QUICK_STOP_S).catch(() => undefined);
        log.warn({ vnf: host.vnf, node: host.node, reason: failure }, 'agent failed to start');
        throw rpcError('step_failed', 'virtual host did not start', { node: host.node, reason: failure, log: logs.slice(-2_000) });
      }
      const running = await this.markRunning(host, id);
      log.info({ vnf: host.vnf, node: host.node, container: id, pid: running.pid, address: host.address }, 'agent started');
      return running;
    });
  }

  async confirm(host: HostInfo): Promise<HostInfo> {
    return this.guard(async () => {
      const c = await this.inspect(host.node);
      if (!c) throw rpcError('unavailable', `container of node ${host.node} is gone`, { node: host.node });
      const running = await this.markRunning(host, c.Id);
      this.deps.log.info({ vnf: host.vnf, node: host.node, container: c.Id }, 'agent of an unfinished start answered');
      return running;
    });
  }

  async stop(host: HostInfo, o: StopOptions = {}): Promise<void> {
    return this.guard(async () => {
      const c = await this.inspect(host.node);
      if (!c || !c.State.Running) return;
      // asked over NATS: the agent stops its application and exits, and the container with it
      const exited = o.asked ? await this.waitExit(c.Id, this.o.exitGraceMs) : false;
      if (exited) return;
      this.deps.log.warn({ vnf: host.vnf, node: host.node, container: c.Id, asked: !!o.asked }, 'stopping container');
      // SIGTERM (to docker-init, which passes it to the agent), SIGKILL after the grace
      await this.docker.stop(c.Id, STOP_GRACE_S);
      const after = await this.inspect(host.node);
      if (after?.State.Running) await this.docker.kill(c.Id).catch(() => undefined);
    });
  }

  async destroy(host: HostInfo): Promise<void> {
    return this.guard(async () => {
      const c = await this.inspect(host.node);
      if (!c) return;
      // revoked first: if the keeper cannot be reached the container stays, and the removal is tried again
      const jwt = await this.identityOf(c);
      if (jwt && this.deps.identities.enabled) await this.deps.identities.revoke(jwt, host.node);
      try {
        await this.docker.remove(c.Id, { force: true });
      } catch (err) {
        if (!(err instanceof DockerNotFound)) throw err;
      }
      this.jwts.delete(c.Id);
      this.heard.delete(c.Id);
      this.fresh.delete(c.Id);
      this.deps.log.info({ vnf: host.vnf, node: host.node, address: host.address, container: c.Id }, 'docker host destroyed');
    });
  }

  async get(node: string): Promise<HostInfo | undefined> {
    if (!TOKEN_RE.test(node)) return undefined;
    return this.guard(async () => {
      const c = await this.inspect(node);
      return c ? this.hostOf(c) : undefined;
    });
  }

  async list(): Promise<HostInfo[]> {
    return this.guard(async () => {
      const containers = await this.docker.list(this.filters());
      const nodes = containers.map((c) => c.Labels?.[Labels.node]).filter((n): n is string => !!n && TOKEN_RE.test(n));
      const hosts = await Promise.all(nodes.sort().map((n) => this.get(n)));
      return hosts.filter((h): h is HostInfo => h !== undefined);
    });
  }

  async alive(host: HostInfo): Promise<boolean> {
    return this.guard(async () => (await this.inspect(host.node))?.State.Running ?? false);
  }

  /**
   * Docker's event stream for this zone's and scope's containers (`die`, `oom`): a container's
   * death is reported as the engine tells it, with its exit code. A dropped stream (the engine
   * restarted, the socket went away) is opened again, from the second it was first opened or
   * the last event seen, so that what died meanwhile is still reported (once).
   */
  watch(down: HostDownListener): () => void {
    const { log } = this.deps;
    const filters = { label: this.filters(), type: ['container'], event: ['die', 'oom'] };
    let stream: { close(): void } | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let lost = false;
    let retryMs = EVENTS_RETRY_MS;
    let since: string | undefined;
    /** containers that ran out of memory, until their die */
    const oom = new Set<string>();
    /** events already handled: a reopened stream replays from a whole second */
    const seen = new Set<string>();
    const onEvent = (e: DockerEvent) => {
      since = String(e.time);
      const key = `${e.Actor?.ID}/${e.Action}/${e.timeNano}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (seen.size > 1024) seen.delete(seen.values().next().value!);
      const a = e.Actor?.Attributes ?? {};
      const node = a[Labels.node];
      // the filter asked for these; a container of another zone or scope is none of ours anyway
      if (e.Type !== 'container' || !node || !TOKEN_RE.test(node) || a[Labels.zone] !== this.zone || a[Labels.scope] !== this.o.scope) return;
      if (e.Action === 'oom') oom.add(e.Actor.ID);
      else if (e.Action === 'die') {
        const code = a.exitCode ?? '?';
        down(node, oom.delete(e.Actor.ID) ? `container died (out of memory, exit ${code})` : `container died (exit ${code})`);
      }
    };
    const open = () => {
      if (stopped) return;
      const from = since;
      since ??= String(Math.floor(Date.now() / 1000));
      stream = this.docker.events(
        filters,
        {
          since: from,
          onOpen: () => {
            retryMs = EVENTS_RETRY_MS;
            if (lost) log.info({ zone: this.zone }, 'docker event stream open again');
            lost = false;
          },
        },
        onEvent,
        (err) => {
          stream = undefined;
          if (stopped) return;
          if (!lost) log.warn({ zone: this.zone, err: err.message }, 'docker event stream lost: opening it again');
          lost = true;
          timer = setTimeout(open, retryMs);
          retryMs = Math.min(retryMs * 2, EVENTS_RETRY_MAX_MS);
        },
      );
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      stream?.close();
    };
  }

  /**
   * agent: the container's own output (the agent is its process), cursor = the timestamp of the
   * last line seen; app: the application's log file in the agent's folder, read through the
   * archive endpoint, cursor = a byte offset in it.
   */
  async logs(host: HostInfo, o: LogsOptions): Promise<LogsReply> {
    return this.guard(async () => {
      const c = await this.inspect(host.node);
      if (!c) throw rpcError('not_found', `no container for node ${host.node}`);
      if (o.source === 'app') {
        let text: Buffer;
        try {
          text = untar(await this.docker.getArchive(c.Id, `${workdirOf(c)}/${APP_LOG}`)).get('app.log') ?? Buffer.alloc(0);
        } catch (err) {
          if (!(err instanceof DockerNotFound)) throw err;
          text = Buffer.alloc(0);
        }
        return textLogs(text, o.tail, o.cursor);
      }
      const after = o.cursor && TIMESTAMP.test(o.cursor) ? normalTime(o.cursor) : undefined;
      const raw = await this.docker.logLines(c.Id, { tail: after ? 10_000 : o.tail, ...(after ? { since: unixOf(after) } : {}) });
      let last = after ?? '';
      const lines: string[] = [];
      for (const l of raw.split('\n')) {
        const sp = l.indexOf(' ');
        const ts = sp > 0 ? l.slice(0, sp) : '';
        if (!TIMESTAMP.test(ts)) continue;
        const t = normalTime(ts);
        // since is inclusive: what the cursor saw already is skipped
        if (after && t <= after) continue;
        lines.push(l.slice(sp + 1).replace(/\r$/, ''));
        if (t > last) last = t;
      }
      const r = linesOf(Buffer.from(lines.length ? `${lines.join('\n')}\n` : ''), o.tail, false);
      return { lines: r.lines, cursor: last || new Date(0).toISOString(), ...(r.truncated ? { truncated: true } : {}) };
    });
  }

  /** The container of a node in this zone and scope; undefined when there is none. */
  private async inspect(node: string): Promise<ContainerInspect | undefined> {
    let c: ContainerInspect;
    try {
      c = await this.docker.inspect(this.nameOf(node));
    } catch (err) {
      if (err instanceof DockerNotFound) return undefined;
      throw err;
    }
    const l = c.Config.Labels ?? {};
    // a container of that name that is not ours (another zone, another VIM) is not this zone's host
    if (l[Labels.node] !== node || l[Labels.zone] !== this.zone || l[Labels.scope] !== this.o.scope) return undefined;
    return c;
  }

  private async hostOf(c: ContainerInspect): Promise<HostInfo | undefined> {
    const l = c.Config.Labels;
    if (!l[Labels.vnf] || !l[Labels.cluster] || !l[Labels.address]) {
      this.deps.log.warn({ container: c.Id }, 'container labels do not describe a host');
      return undefined;
    }
    let state: HostInfo['state'];
    const status = c.State.Status;
    if (status === 'created' || status === 'restarting') state = 'creating';
    else if (status === 'running' || status === 'paused') {
      // 'creating' until its agent was heard, whatever docker says: an agent that never announced
      // itself is not vouched for
      state = this.heard.has(c.Id) || (await this.answers(l[Labels.node], c.Id)) ? 'running' : 'creating';
    } else state = 'stopped';
    return {
      node: l[Labels.node],
      vnf: l[Labels.vnf],
      cluster: l[Labels.cluster],
      zone: this.zone,
      driver: this.kind,
      address: l[Labels.address],
      state,
      ref: c.Id,
      // the container's init (docker-init) as the Docker host sees it
      ...(c.State.Running && c.State.Pid > 0 ? { pid: c.State.Pid } : {}),
      createdAt: l[Labels.createdAt] ?? c.Created,
    };
  }

  /** running from now on: its agent said hello */
  private async markRunning(host: HostInfo, id: string): Promise<HostInfo> {
    this.hear(id);
    const c = await this.docker.inspect(id);
    return (await this.hostOf(c)) ?? { ...host, state: 'running', ref: id };
  }

  /** whether the node's agent answers its status now; remembered when it does (see `heard`) */
  private async answers(node: string, id: string): Promise<boolean> {
    const up = await agentAnswers(this.deps.nc, node, STATUS_TIMEOUT_MS);
    if (up) this.hear(id);
    return up;
  }

  /** bounded as `jwts` is: a container removed by someone else is never deleted here; forgetting one costs a status request */
  private hear(id: string): void {
    this.heard.add(id);
    if (this.heard.size > MAX_REMEMBERED) this.heard.delete(this.heard.values().next().value!);
  }

  /**
   * The application image's own `ENV`, which Docker gives the agent too: a GET (no work for the
   * engine beyond reading the image's config), made beside the create's other reads.
   */
  private async imageEnv(image: string): Promise<string[] | undefined> {
    try {
      return (await this.docker.inspectImage(image)).Config?.Env ?? undefined;
    } catch (err) {
      if (err instanceof DockerNotFound) throw noImage(image, this.zone);
      throw err;
    }
  }

  private containerSpec(
    spec: HostSpec,
    address: string,
    labels: Record<string, string>,
    agent: AgentRoot,
    image: string,
    imageEnv: string[] | undefined,
    ca: string | undefined,
  ): Record<string, unknown> {
    const { node } = spec;
    // the cluster's own limits win over the zone's
    const nanoCpus = spec.cpus ? Math.round(spec.cpus * 1e9) : this.o.nanoCpus;
    const memory = spec.memoryMiB ? spec.memoryMiB * 1024 * 1024 : this.o.memory;
    const env: Record<string, string> = {
      // the image's NODE_OPTIONS, OPENSSL_CONF, LD_PRELOAD... are its application's, not the agent's (ADR 30)
      ...Agent.parkImageEnv(imageEnv),
      NATS_URL: this.o.natsUrl ?? natsUrl(),
      VNF_NODE: node,
      VNF_ADDRESS: address,
      VNF_WORKDIR: WORKDIR,
      VNF_APP_ROOTS: this.o.appRoots,
      HOME: WORKDIR,
    };
    for (const k of PASSED_ENV) if (process.env[k]) env[k] = process.env[k]!;
    // the CA itself, not a file: nothing to write into the container before its agent reads it
    if (ca) env[Agent.CA_PEM_ENV] = ca;
    const creds = this.deps.identities.enabled;
    // the agent reads its credentials from standard input (ADR 14), up to their end
    if (creds) env.NATS_CREDS = '-';
    const net = this.o.network;
    return {
      Image: image,
      // the agent from its own root, through its own loader: the image's libc does not matter;
      // the application it starts gets the image's own PATH and environment
      Entrypoint: [...agent.command, `--node=${node}`],
      Cmd: [],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      User: `${this.o.uid}:${this.o.gid}`,
      Labels: labels,
      StopSignal: 'SIGTERM',
      StopTimeout: STOP_GRACE_S,
      // not StdinOnce: docker then closes the input when the first attached client goes, and an
      // attach left by an adapter killed before its `docker start` is that client (ADR 31)
      ...(creds ? { AttachStdin: true, OpenStdin: true } : {}),
      HostConfig: {
        NetworkMode: net,
        // docker-init as pid 1: reaps what the application leaves, passes signals to the agent
        Init: true,
        Mounts: [{ Type: 'volume', Source: agent.volume, Target: agent.mount, ReadOnly: true }],
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        RestartPolicy: { Name: 'no' },
        ...(nanoCpus ? { NanoCpus: nanoCpus } : {}),
        ...(memory ? { Memory: memory } : {}),
      },
      ...(net === 'host' ? {} : { NetworkingConfig: { EndpointsConfig: { [net]: { IPAMConfig: { IPv4Address: address } } } } }),
    };
  }

  /**
   * What a start must write, as one archive, or nothing: `/vnf-lcm/identity.jwt` (root's) for an
   * identity the labels do not hold, the working folder (the container user's alone) where the
   * agent cannot make it.
   */
  private startFiles(jwt: string | undefined, workdir: boolean): Buffer | undefined {
    if (!jwt && !workdir) return undefined;
    const dir = VIM_DIR.slice(1);
    return tar([
      ...(jwt ? [{ name: dir, type: 'dir' as const, mode: 0o755 }] : []),
      ...(jwt ? [{ name: `${dir}/${IDENTITY_FILE}`, type: 'file' as const, mode: 0o644, body: jwt, mtime: fingerprint(jwt) }] : []),
      ...(workdir ? [{ name: WORKDIR.slice(1), type: 'dir' as const, mode: 0o700, uid: this.o.uid, gid: this.o.gid }] : []),
    ]);
  }

  /**
   * Whether the agent can make its working folder itself: the image's `/tmp` is a folder every
   * user may write to (as in Debian's, Alpine's and distroless images). Asked by HEAD (1–2 ms of
   * the engine) of the first container of each image, and remembered.
   */
  private async tmpWritableIn(c: ContainerInspect): Promise<boolean> {
    const known = this.tmpWritable.get(c.Image);
    if (known !== undefined) return known;
    const st = await this.docker.stat(c.Id, '/tmp');
    // Go's FileMode: the folder bit is the top one, a symlink's 1 << 27; others' write permission 0o002
    const ok = !!st && st.mode >= GO_MODE_DIR && (st.mode & GO_MODE_SYMLINK) === 0 && (st.mode & 0o002) !== 0;
    this.tmpWritable.set(c.Image, ok);
    return ok;
  }

  /** the CA of the server's certificate (NATS_TLS_CA), for the agent's environment: public, and small */
  private async caPem(): Promise<string | undefined> {
    const file = process.env.NATS_TLS_CA;
    if (!file) return undefined;
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw rpcError('unavailable', `cannot read the CA file (NATS_TLS_CA) ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        zone: this.zone,
      });
    }
  }

  /**
   * The agent root image's command and mount, and the volume holding its files: one per image
   * (named after its id), filled by docker from the image when a container first mounts it.
   */
  private async agentRoot(): Promise<AgentRoot> {
    let image;
    try {
      image = await this.docker.inspectImage(this.o.agentImage);
    } catch (err) {
      if (err instanceof DockerNotFound)
        throw rpcError('unavailable', `agent image ${this.o.agentImage} is not on the docker host (npm run images)`, { image: this.o.agentImage });
      throw err;
    }
    const labels = image.Config?.Labels ?? {};
    let command: unknown;
    try {
      command = JSON.parse(labels[AGENT_COMMAND_LABEL] ?? 'null');
    } catch {
      command = undefined;
    }
    const mount = labels[AGENT_MOUNT_LABEL];
    if (!Array.isArray(command) || !command.every((a) => typeof a === 'string') || !mount?.startsWith('/'))
      throw rpcError('unavailable', `image ${this.o.agentImage} is not an agent root (no ${AGENT_COMMAND_LABEL} label)`, { image: this.o.agentImage });
    const volume = `vnf-agent-${image.Id.replace(/^sha256:/, '').slice(0, 12)}`;
    // asked each time: a volume removed meanwhile would come back empty with the container
    await this.volumes.run(volume, async () => {
      if (await this.docker.volumeExists(volume)) return;
      await this.docker.createVolume(volume, { 'vnf-lcm.agent-root': image.Id });
      try {
        // a container created (never started) with the empty volume at the image's folder: docker
        // copies the folder into it; the container is of no further use
        const filler = await this.docker.create(`${volume}-fill-${process.pid}-${Date.now()}`, {
          Image: image.Id,
          Labels: { 'vnf-lcm.agent-root': image.Id },
          HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: mount }], NetworkMode: 'none' },
        });
        await this.docker.remove(filler, { force: true });
      } catch (err) {
        // never an empty volume left behind that the next attempt would take as filled
        await this.docker.removeVolume(volume).catch(() => undefined);
        throw err;
      }
      this.deps.log.info({ volume, image: this.o.agentImage }, 'agent root volume made');
    });
    return { command: command as string[], mount, volume };
  }

  /**
   * A new identity for an agent about to start in a container that had one (its label's, or one
   * written at an earlier start): that one is revoked first, so that one node never has two
   * identities that connect.
   */
  private async replaceIdentity(node: string, c: ContainerInspect) {
    const { identities } = this.deps;
    if (!identities.enabled) return undefined;
    const previous = await this.identityOf(c);
    if (previous) await identities.revoke(previous, node);
    return identities.mint(node);
  }

  /** the identity its agent last had: the one written at a later start, else the label's */
  private async identityOf(c: ContainerInspect): Promise<string | undefined> {
    const id = c.Id;
    const st = await this.docker.stat(id, `${VIM_DIR}/${IDENTITY_FILE}`);
    if (!st || st.size === 0) return c.Config.Labels?.[Labels.identity] || undefined;
    const known = this.jwts.get(id);
    if (known && st.size === Buffer.byteLength(known) && Date.parse(st.mtime) === fingerprint(known) * 1000) return known;
    try {
      const files = untar(await this.docker.getArchive(id, `${VIM_DIR}/${IDENTITY_FILE}`));
      return files.get(IDENTITY_FILE)?.toString('utf8').trim() || undefined;
    } catch (err) {
      if (err instanceof DockerNotFound) return undefined;
      throw err;
    }
  }

  private remember(id: string, jwt: string): void {
    this.jwts.delete(id);
    this.jwts.set(id, jwt);
    // containers removed by another adapter are never deleted here: the oldest go
    if (this.jwts.size > MAX_REMEMBERED) this.jwts.delete(this.jwts.keys().next().value!);
  }

  /** the agent up, or why not: its container stopped or went first */
  private helloOrFailure(hello: HelloWaiter, id: string): Promise<string | undefined> {
    const stop = new AbortController();
    return hello.wait(this.o.helloTimeoutMs, this.exitOf(id, stop.signal)).finally(() => stop.abort());
  }

  /** why the container stopped, once it has; undefined if `signal` ends the watch first */
  private async exitOf(id: string, signal: AbortSignal): Promise<string | undefined> {
    while (!signal.aborted) {
      const c = await this.docker.inspect(id).catch((err: Error) => (err instanceof DockerNotFound ? undefined : null));
      if (c === undefined) return 'container removed before its hello';
      if (c && !c.State.Running && c.State.Status !== 'created')
        return `agent exited (${c.State.OOMKilled ? 'out of memory' : c.State.ExitCode}) before its hello`;
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  }

  /** whether the container stops within `ms`: the engine says so as it happens (no polling) */
  private async waitExit(id: string, ms: number): Promise<boolean> {
    try {
      return await this.docker.wait(id, ms);
    } catch (err) {
      if (err instanceof DockerNotFound) return true;
      throw err;
    }
  }

  private filters(): string[] {
    return [`${Labels.zone}=${this.zone}`, `${Labels.scope}=${this.o.scope}`];
  }

  /** Docker's own failures as the VIM's errors: unreachable or refused is `unavailable` (sent again). */
  private async guard<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (err) {
      if (err instanceof DockerUnreachable) throw rpcError('unavailable', `zone ${this.zone}: ${err.message}`, { zone: this.zone, socket: this.o.socket });
      if (err instanceof DockerError) throw rpcError('unavailable', `zone ${this.zone}: docker: ${err.message}`, { zone: this.zone, status: err.status });
      throw err;
    }
  }
}

/** the agent's working folder in a container: where its environment says (containers made before ADR 36: /vnf-lcm/host) */
function workdirOf(c: ContainerInspect): string {
  return c.Config.Env?.find((e) => e.startsWith(WORKDIR_ENV))?.slice(WORKDIR_ENV.length) ?? WORKDIR;
}

const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;

/** what an identity file's mtime is set to: 31 bits of the JWT's hash, as seconds since the epoch */
function fingerprint(jwt: string): number {
  return createHash('sha256').update(jwt).digest().readUInt32BE(0) & 0x7fffffff;
}

interface AgentRoot {
  command: string[];
  mount: string;
  volume: string;
}

/** an RFC 3339 UTC timestamp with its fraction padded to 9 digits: such strings sort as times do */
function normalTime(ts: string): string {
  const [whole, frac = ''] = ts.slice(0, -1).split('.');
  return `${whole}.${frac.padEnd(9, '0')}Z`;
}

/** a normalized timestamp as Docker's `since`: seconds since the epoch with nanoseconds */
function unixOf(ts: string): string {
  const [whole, frac] = ts.slice(0, -1).split('.');
  return `${Math.floor(Date.parse(`${whole}Z`) / 1000)}.${frac}`;
}

const noImage = (image: string, zone: string) => rpcError('unavailable', `image ${image} is not on the docker host`, { image, zone });
