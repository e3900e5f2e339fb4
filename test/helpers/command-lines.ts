// The command lines of the suite's own processes, sampled from /proc while something runs: the
// tests that check what a browser was started with (a launch page, never the launch URL) read
// only their own process tree, never another process on the machine.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The suite's own process tree: this test process and its descendants, found by following
 * /proc/<pid>/task/<tid>/children down from here. No other process on the machine is read.
 */
export function ownProcessTree(): string[] {
  const tree: string[] = [];
  const queue = [String(process.pid)];
  while (queue.length) {
    const pid = queue.shift()!;
    tree.push(pid);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; /* exited */
    }
    for (const tid of tasks) {
      try {
        queue.push(
          ...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
            .split(' ')
            .filter((c) => /^\d+$/.test(c)),
        );
      } catch {
        /* exited */
      }
    }
  }
  return tree;
}

/** Samples the command lines of the suite's own process tree (from /proc) until stopped. */
export function sampleCommandLines(): { stop(): string[] } {
  const seen = new Set<string>();
  const take = () => {
    for (const pid of ownProcessTree()) {
      try {
        const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        if (line) seen.add(line);
      } catch {
        /* exited */
      }
    }
  };
  take();
  const timer = setInterval(take, 40);
  return {
    stop() {
      clearInterval(timer);
      take();
      return [...seen];
    },
  };
}
