import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { RequestFailed } from './client.js';

/**
 * Reads a descriptor file. A relative `cwd` (of `app` or of a `versions` entry) means "relative to this file", which only the
 * CLI can know, so it is made absolute here before the descriptor goes on the bus; not when it is a path in the app's image
 * (an app with `image` and no `docker.cwd`), nor `docker.cwd` (always one).
 */
export function readDescriptor(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RequestFailed({ code: 400, err_code: 'invalid_request', description: `cannot read ${file}: ${(err as Error).message}` });
  }
  let d: unknown;
  try {
    d = parse(text);
  } catch (err) {
    throw new RequestFailed({ code: 422, err_code: 'invalid_descriptor', description: `${file} is not valid yaml: ${(err as Error).message.split('\n')[0]}` });
  }
  const base = dirname(resolve(file));
  const clusters = (d as { clusters?: unknown })?.clusters;
  if (Array.isArray(clusters))
    for (const c of clusters) {
      const spec = c as { app?: { cwd?: unknown }; versions?: unknown };
      const apps = [spec?.app, ...(Array.isArray(spec?.versions) ? spec.versions : [])] as (
        | { cwd?: unknown; image?: unknown; docker?: { cwd?: unknown } }
        | undefined
      )[];
      for (const app of apps) {
        // the cwd of an app that names its image (and no docker.cwd) is a path in the image, not here
        const inImage = app?.image !== undefined && app.docker?.cwd === undefined;
        if (app && !inImage && typeof app.cwd === 'string' && !isAbsolute(app.cwd)) app.cwd = resolve(base, app.cwd);
      }
    }
  return d;
}
