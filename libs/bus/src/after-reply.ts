const AFTER_REPLY_MS = 1;

/**
 * Resolves a moment after a reply being sent now has left: NATS writes what was published in a
 * microtask, and on a small machine the reply's receiver needs the CPU right then. For the
 * replier's own bookkeeping (a record, a log line), which must not delay the reply.
 */
export function afterReply(): Promise<void> {
  return new Promise((r) => setTimeout(r, AFTER_REPLY_MS));
}
