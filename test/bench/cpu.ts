import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system, all threads) a process has used so far, in seconds, from
 * /proc/<pid>/stat: it works for any process of the hub, ours or not, without its help.
 */
export function cpuSeconds(pid: number): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Total CPU seconds of a set of processes (a pid listed twice counts once). */
export function cpuSecondsOf(pids: number[]): number {
  return [...new Set(pids)].reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}
