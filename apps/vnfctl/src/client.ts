import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AuthConfigError, natsAuthOptions, type ClientAuth } from '@vnf-lcm/auth';
import { isErrorReply, type ErrorBody } from '@vnf-lcm/contracts';

export class RequestFailed extends Error {
  constructor(readonly body: ErrorBody) {
    super(`${body.err_code}: ${body.description}`);
  }
}

export interface Conn {
  nc: NatsConnection;
  request<T>(subject: string, payload: unknown): Promise<T>;
  /** the last permissions violation the server reported on this connection, if any */
  denied(): RequestFailed | undefined;
  close(): Promise<void>;
}

/** Any error as the structured body vnfctl prints: the server's refusals named as such. */
export function failure(err: unknown, c?: Conn): RequestFailed {
  if (err instanceof RequestFailed) return err;
  const refused = permissionDenied(err);
  if (refused) return refused;
  // JetStream calls (events) time out when the server refused one of their publishes
  const denied = c?.denied();
  if (denied && [...causes(err)].some((e) => /timeout|timed out/i.test(`${e.name} ${e.message}`))) return denied;
  return new RequestFailed({ code: 500, err_code: 'internal', description: (err as Error)?.message ?? String(err) });
}

/** The errors in `err`'s cause chain (nats.js wraps the server's in RequestError, JetStream's in its own). */
function* causes(err: unknown): Generator<Error> {
  for (let e = err, i = 0; e instanceof Error && i < 8; e = e.cause, i++) yield e;
}

class Denied extends RequestFailed {
  constructor(
    readonly subject: string,
    operation: string,
  ) {
    super({
      code: 503,
      err_code: 'unavailable',
      description: `permission denied on ${subject}: these credentials may not ${operation === 'subscription' ? 'subscribe to' : 'publish to'} it (check --creds / NATS_CREDS)`,
    });
  }
}

/** The server's "Permissions Violation for Publish to ..." (or Subscription to ...) in `err`, if it is one. */
export function permissionDenied(err: unknown): Denied | undefined {
  for (const e of causes(err)) {
    if (e.name !== 'PermissionViolationError' && !/permissions violation/i.test(e.message)) continue;
    const p = e as Error & { operation?: string; subject?: string };
    const m = /(Publish|Subscription) to "(\S+)"/.exec(e.message);
    return new Denied(p.subject || m?.[2] || '(unknown subject)', p.operation ?? m?.[1]?.toLowerCase() ?? 'publish');
  }
  return undefined;
}

/** The server's "Authorization Violation" (no, unknown or expired credentials), if `err` is one. */
function authorizationViolation(err: unknown, server: string, creds: string | undefined): RequestFailed | undefined {
  for (const e of causes(err))
    if (
      e.name === 'AuthorizationError' ||
      e.name === 'UserAuthenticationExpiredError' ||
      /authorization violation|authentication (expired|timeout)/i.test(e.message)
    ) {
      const said = e.message.replace(/^'|'$/g, '');
      return new RequestFailed({
        code: 503,
        err_code: 'unavailable',
        description: creds
          ? `authorization violation: ${server} refused the credentials in ${creds} (${said}): check --creds / NATS_CREDS`
          : `authorization violation: ${server} requires credentials (${said}): check --creds / NATS_CREDS`,
      });
    }
  return undefined;
}

/**
 * vnfctl speaks the public plain-JSON subjects, as any NATS client could. `auth` is the
 * credentials file and the CA (both optional: an open server needs neither).
 */
export async function open(server: string, timeoutMs: number, auth: ClientAuth = {}): Promise<Conn> {
  let options: ReturnType<typeof natsAuthOptions>;
  try {
    options = natsAuthOptions(auth);
  } catch (err) {
    if (!(err instanceof AuthConfigError)) throw err;
    // name the file when the message does not (a file that holds no user JWT)
    const named = [auth.creds, auth.tlsCa].some((f) => f && err.message.includes(f));
    const file = auth.creds && !named ? `${auth.creds}: ` : '';
    throw new RequestFailed({ code: 400, err_code: 'invalid_request', description: `${file}${err.message}` });
  }
  const nc = await connect({ ...options, servers: server.split(','), name: 'vnfctl', timeout: 3000 }).catch((err: Error) => {
    const refused = authorizationViolation(err, server, auth.creds);
    if (refused) throw refused;
    // the server's certificate not verified (or TLS on one side only): say where the CA comes from
    const tls = [...causes(err)].some((e) => /certificate|self[- ]signed|\btls\b|ssl/i.test(`${e.message} ${(e as NodeJS.ErrnoException).code ?? ''}`));
    const hint = tls ? ': check --tls-ca / NATS_TLS_CA' : '';
    throw new RequestFailed({ code: 503, err_code: 'unavailable', description: `cannot reach nats at ${server}: ${err.message}${hint}` });
  });
  const inbox = options.inboxPrefix ?? '_INBOX';
  // a refused publish or subscription is reported on the connection; a request that then times
  // out (or a consumer that gets nothing) is explained by it
  let denied: Denied | undefined;
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') denied = permissionDenied(s.error) ?? denied;
  })().catch(() => undefined);
  return {
    nc,
    async request<T>(subject: string, payload: unknown): Promise<T> {
      let data: unknown;
      try {
        data = (await nc.request(subject, JSON.stringify(payload), { timeout: timeoutMs })).json();
      } catch (err) {
        const refused = permissionDenied(err);
        if (refused) throw refused;
        const m = (err as Error).message;
        const none = /no responders|503/i.test(m) || /no responders/i.test(String((err as Error).cause ?? ''));
        // a refusal nats.js could not tie to this request: its subject, or the inbox its reply needed
        if (!none && denied && (denied.subject === subject || denied.subject.startsWith(inbox))) throw denied;
        throw new RequestFailed({
          code: none ? 503 : 504,
          err_code: none ? 'unavailable' : 'timeout',
          description: none ? `no service answers on ${subject} (is vnf-lcm running?)` : `no reply on ${subject} in ${timeoutMs} ms`,
        });
      }
      if (isErrorReply(data)) throw new RequestFailed(data.error);
      return data as T;
    },
    denied: () => denied,
    close: () => nc.close(),
  };
}
