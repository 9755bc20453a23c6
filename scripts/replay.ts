/**
 * `npm run replay -- <file or directory> [...]` (in the image: `node dist/scripts/replay.js <...>`): the
 * release gate of README "Upgrading without breaking conversations". Replays workflow histories exported
 * from production (`temporal workflow show --workflow-id <id> --output json > <id>.json`) on the
 * workflow code of this tree, bundled as the worker bundles it, and prints one line per history. Exit 0:
 * every history replays, so the new version can take over the AUTO_UPGRADE runs in flight. Exit 1: at
 * least one does not (a nondeterminism error names the event); put the change behind `patched()` or a
 * new workflow type, and run it again. Exit 2: bad arguments or unreadable files.
 *
 * `--bundle <path>` (or WORKFLOW_BUNDLE_PATH) replays on a prebuilt bundle instead, the one a worker is
 * given with WORKFLOW_BUNDLE_PATH. PARLEY_PAYLOAD_KEYS: the payload keys, when production encrypts
 * payloads (the exported histories hold them encrypted).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import fs from 'node:fs';
import { temporalDataConverter } from '../models/payload-codec';
import { bundleShippedWorkflows, readHistories, replayHistories, type RecordedHistory, type ReplayOutcome } from '../worker/replay';

const USAGE = 'usage: npm run replay -- [--bundle <workflow-bundle.js>] <history.json | directory> [...]';

function parseArgs(argv: string[]): { targets: string[]; bundlePath?: string } {
  const targets: string[] = [];
  let bundlePath = process.env.WORKFLOW_BUNDLE_PATH || undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--bundle') {
      bundlePath = argv[++i];
      if (!bundlePath) throw new Error(`--bundle needs a path (${USAGE})`);
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg} (${USAGE})`);
    } else {
      targets.push(arg);
    }
  }
  if (targets.length === 0) throw new Error(USAGE);
  return { targets, ...(bundlePath ? { bundlePath } : {}) };
}

const line = (outcome: ReplayOutcome): string => {
  const what = `${outcome.workflowType} ${outcome.workflowId} (${outcome.source})`;
  if (!outcome.error) return `ok    ${what}`;
  const kind = outcome.error.nondeterminism ? 'NONDETERMINISM' : 'replay error';
  return `FAIL  ${what}\n      ${kind}: ${outcome.error.message}`;
};

async function main(): Promise<number> {
  // The replay worker's lifecycle lines and core's warning for each failed history would bury the report
  // below; what failed, and why, is in it. Errors still print.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  let targets: string[];
  let bundlePath: string | undefined;
  let histories: RecordedHistory[];
  try {
    ({ targets, bundlePath } = parseArgs(process.argv.slice(2)));
    histories = targets.flatMap((target) => readHistories(target));
    if (histories.length === 0) throw new Error(`no *.json histories in ${targets.join(', ')}`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const workflowBundle = bundlePath ? { code: fs.readFileSync(bundlePath, 'utf8') } : await bundleShippedWorkflows();
  const dataConverter = temporalDataConverter(process.env.PARLEY_PAYLOAD_KEYS || undefined);
  const outcomes = await replayHistories({ histories, workflowBundle, ...(dataConverter ? { dataConverter } : {}) });
  for (const outcome of outcomes) process.stdout.write(`${line(outcome)}\n`);
  const failed = outcomes.filter((o) => o.error);
  const on = bundlePath ? `the bundle ${bundlePath}` : 'this build of workflows/';
  if (failed.length === 0) {
    process.stdout.write(`\n${outcomes.length === 1 ? '1 history replays' : `${outcomes.length} histories replay`} on ${on}: safe to make this version current.\n`);
    return 0;
  }
  const nondeterministic = failed.filter((o) => o.error?.nondeterminism).length;
  process.stdout.write(
    `\n${failed.length} of ${outcomes.length} histories do not replay on ${on}` +
      `${nondeterministic > 0 ? ` (${nondeterministic} nondeterminism)` : ''}: running workflows like these would stall on the new version. ` +
      'Guard the change with patched() (or a new workflow type) and replay again; do not make this version current.\n',
  );
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`replay failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
