/**
 * Notices when files are replaced: a periodic stat of each path (modification time, size, inode). A stat
 * rather than fs.watch because the ways certificates get renewed defeat watchers: cert-manager and
 * Kubernetes Secret volumes swap a `..data` symlink (the watched inode never changes), editors and
 * certbot rename a new file over the old. stat() follows the symlink, so each of these is a change.
 */
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface FileWatch {
  stop(): void;
}

const describe = (s: { mtimeMs: number; size: number; ino: number }): string => `${s.mtimeMs}:${s.size}:${s.ino}`;
// A file missing for a moment (mid-rename) is a state too: its return is a change.
const missing = (error: unknown): string => `missing:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
const fingerprint = (path: string): Promise<string> => stat(path).then(describe, missing);
const fingerprintNow = (path: string): string => {
  try {
    return describe(statSync(path));
  } catch (error) {
    return missing(error);
  }
};

/**
 * Calls `onChange` (never twice at once) when any of `paths` changes; checks every `intervalMs`. The
 * timer does not keep the process alive. `onChange` errors go to `onError`.
 */
export function watchFiles(options: { paths: string[]; intervalMs: number; onChange: () => Promise<void>; onError: (error: unknown) => void }): FileWatch {
  const { paths, intervalMs, onChange, onError } = options;
  // The files as they are now (synchronously: a change right after this call is a change).
  let last = paths.map(fingerprintNow).join('|');
  let busy = false;
  let stopped = false;
  const snapshot = async (): Promise<string> => (await Promise.all(paths.map(fingerprint))).join('|');
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    void (async () => {
      const now = await snapshot();
      if (now === last) return;
      last = now;
      await onChange();
    })()
      .catch(onError)
      .finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
