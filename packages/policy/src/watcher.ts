import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";

export interface DebouncedWatch {
  close(): void;
}

/**
 * Calls `onChange` once things settle after `*.cedar` files in `dir` or the schema file change. Directories are
 * watched rather than files because editors and config-map mounts replace a file by renaming over it, which
 * ends a watch on the file itself.
 */
export function watchPolicyFiles(options: {
  dir: string;
  schemaPath: string;
  debounceMs: number;
  onChange: () => void;
  onError: (error: Error) => void;
}): DebouncedWatch {
  const { dir, schemaPath, debounceMs, onChange, onError } = options;
  const schemaDir = dirname(schemaPath);
  const schemaName = basename(schemaPath);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) onChange();
    }, debounceMs);
  };
  const relevant = (inDir: string) => (_event: string, filename: string | Buffer | null) => {
    // Some platforms do not report the name: reloading is cheap, so treat it as relevant.
    const name = filename === null ? null : filename.toString();
    if (
      name === null ||
      (inDir === dir && name.endsWith(".cedar")) ||
      (inDir === schemaDir && name === schemaName)
    ) {
      schedule();
    }
  };

  const watchers: FSWatcher[] = [];
  for (const target of schemaDir === dir ? [dir] : [dir, schemaDir]) {
    const watcher = watch(target, relevant(target));
    watcher.on("error", (error) => onError(error));
    watchers.push(watcher);
  }
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
