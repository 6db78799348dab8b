// What both example applications do the same way as applications under a vnf-lcm agent: log JSON
// lines, read the configuration file the agent writes, and drain on SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';

/** One JSON line per event on stdout (the agent keeps it as the application's log), object last. */
export function logger(node) {
  return (level, msg, extra = {}) => {
    process.stdout.write(`${JSON.stringify({ level, msg, node, time: new Date().toISOString(), ...extra })}\n`);
  };
}

/**
 * Reads the agent's configuration file (VNF_CONFIG). The agent replaces the file atomically (temp
 * + rename), so a read sees the old or the new one, never half of it. A missing file only means
 * we run outside an agent: null, as for a file that cannot be read (logged, the previous kept).
 */
export function configReader(path, log) {
  return () => {
    if (!path) return null;
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      if (err.code !== 'ENOENT') log('error', 'cannot read config; keeping the previous one', { path, error: err.message });
      return null;
    }
  };
}

/**
 * On SIGTERM or SIGINT the server stops accepting, lets the requests in flight finish (for at
 * most `graceMs`) and exits; a server error exits at once. `detail()` adds to the log lines (a
 * count of requests in flight, say). Returns whether it is draining: responses then say
 * `connection: close`.
 */
export function drainOnSignal(server, { log, graceMs, detail = () => ({}) }) {
  const state = { draining: false };
  const shutdown = (signal) => {
    if (state.draining) return;
    state.draining = true;
    log('info', 'shutting down', { signal, ...detail() });
    server.close(() => {
      log('info', 'stopped');
      process.exit(0);
    });
    // Idle keep-alive connections would otherwise keep server.close() waiting; connections that
    // go idle later (their response began before shutdown) are swept up by the interval.
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 100).unref();
    setTimeout(() => {
      log('warn', 'grace period over; exiting with requests still open', detail());
      process.exit(1);
    }, graceMs).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  server.on('error', (err) => {
    log('error', 'server error', { error: err.message, code: err.code });
    process.exit(1);
  });
  return state;
}
