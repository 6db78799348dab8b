// Writes the access table into docs/security.md from libs/contracts (after `npm run build`):
// the table the server's permissions are generated from is the one the page shows.
import { readFileSync, writeFileSync } from 'node:fs';
import { withAccessTable } from '@vnf-lcm/auth';

const file = new URL('../docs/security.md', import.meta.url);
writeFileSync(file, withAccessTable(readFileSync(file, 'utf8')));
