import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isErrorReply, type ErrorBody } from '@vnf-lcm/contracts';

export class RequestFailed extends Error {
  constructor(readonly body: ErrorBody) {
    super(`${body.err_code}: ${body.description}`);
  }
}

export interface Conn {
  nc: NatsConnection;
  request<T>(subject: string, payload: unknown): Promise<T>;
  close(): Promise<void>;
}

/** vnfctl speaks the public plain-JSON subjects, as any NATS client could. */
export async function open(server: string, timeoutMs: number): Promise<Conn> {
  const nc = await connect({ servers: server.split(','), name: 'vnfctl', timeout: 3000 }).catch((err: Error) => {
    throw new RequestFailed({ code: 503, err_code: 'unavailable', description: `cannot reach nats at ${server}: ${err.message}` });
  });
  return {
    nc,
    async request<T>(subject: string, payload: unknown): Promise<T> {
      let data: unknown;
      try {
        data = (await nc.request(subject, JSON.stringify(payload), { timeout: timeoutMs })).json();
      } catch (err) {
        const m = (err as Error).message;
        const none = /no responders|503/i.test(m) || /no responders/i.test(String((err as Error).cause ?? ''));
        throw new RequestFailed({
          code: none ? 503 : 504,
          err_code: none ? 'unavailable' : 'timeout',
          description: none ? `no service answers on ${subject} (is vnf-lcm running?)` : `no reply on ${subject} in ${timeoutMs} ms`,
        });
      }
      if (isErrorReply(data)) throw new RequestFailed(data.error);
      return data as T;
    },
    close: () => nc.close(),
  };
}
