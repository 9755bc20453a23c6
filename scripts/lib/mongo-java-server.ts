/**
 * A MongoDB-wire server with change streams for the tests of Parley's change-stream path
 * (models/event-feed.ts): mongo-java-server (Apache-2.0, Maven Central) with its in-memory backend and
 * oplog, run by test/mongo-java-server/ParleyMongoServer.java. No registry here ships MongoDB itself, and
 * FerretDB has no change streams (../shared/INFRA.md), so this is what exercises the path a replica set
 * takes: the driver's `watch()`, resume tokens, and a stream reopened after the connection drops.
 *
 * Its jars come from Maven Central through `mvn dependency:copy-dependencies` into `.tools/` once; Java 17
 * runs the launcher as a single source file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { InfraError, ROOT, TOOLS_DIR, readyOrStopped, spawnServer, stopper, waitForPort, type ManagedServer } from './infra';

const VERSION = '1.47.0';
const SOURCE_DIR = path.join(ROOT, 'test', 'mongo-java-server');
const LIB_DIR = path.join(TOOLS_DIR, `mongo-java-server-${VERSION}`, 'lib');

/** The jars' folder, fetched when missing (about 2 MB). */
export function ensureMongoJavaServer(): string {
  const done = path.join(LIB_DIR, '.complete');
  if (fs.existsSync(done)) return LIB_DIR;
  fs.rmSync(LIB_DIR, { recursive: true, force: true });
  try {
    execFileSync('mvn', ['-q', '-B', '-f', path.join(SOURCE_DIR, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${LIB_DIR}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (error) {
    const output = (error as { stdout?: Buffer; stderr?: Buffer }).stdout?.toString() ?? '';
    throw new InfraError(`could not fetch mongo-java-server ${VERSION} from Maven Central (mvn dependency:copy-dependencies): ${output.slice(-2000)}`);
  }
  fs.writeFileSync(done, `${VERSION}\n`);
  return LIB_DIR;
}

/** Starts the server on 127.0.0.1:`port` (its data lives in memory and ends with it). */
export async function startMongoJavaServer(options: { port: number; logFile?: string }): Promise<ManagedServer> {
  const lib = ensureMongoJavaServer();
  const args = ['-Xmx512m', '-XX:+UseSerialGC', '-cp', `${lib}/*`, path.join(SOURCE_DIR, 'ParleyMongoServer.java'), '127.0.0.1', String(options.port)];
  const child = spawnServer('java', args, options.logFile);
  await readyOrStopped(child, () => waitForPort(options.port, 'mongo-java-server', child));
  return { address: `mongodb://127.0.0.1:${options.port}`, port: options.port, otherPorts: [], process: child, stop: stopper(child) };
}
