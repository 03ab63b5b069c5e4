/**
 * Runs the real `serve` CLI as a child process for e2e tests and reads what it prints.
 * Test support only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

/** A running `serve`. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** Viewer URL as printed (with `?token=` when a token is required). */
  readonly viewerUrl: string;
  /** Origin of the HTTP server, e.g. `http://127.0.0.1:8080`. */
  readonly base: string;
  /** Access token as printed, if any. */
  readonly token: string | undefined;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once the output matches `pattern`. @throws Error with the output after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Sends `signal` (default SIGINT) to the process group, as a terminal's Ctrl-C does; resolves
   * with the exit code (null when the group leader, e.g. npm, re-raised the signal).
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** `serve` in one Node process (tsx as a loader, no wrapper), so signals reach it directly. */
export const SERVE_ARGV: readonly string[] = ['--import', 'tsx', 'main/cli/serve.ts'];

/** Starts `node main/cli/serve.ts args…` (see {@link startServeProcess}). */
export function startServe(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ServeProcess> {
  return startServeProcess(process.execPath, [...SERVE_ARGV, ...args], env);
}

/** Runs `node main/cli/serve.ts args…` to completion (its error paths). */
export function runServe(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  return runToExit(process.execPath, [...SERVE_ARGV, ...args], env);
}

/**
 * Starts `command args` (e.g. `npx tsx main/cli/serve.ts …` or `npm run serve`) in its own process
 * group and waits until it prints its viewer URL.
 * @throws Error with the output when it exits or prints nothing within `timeoutMs`.
 */
export async function startServeProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<ServeProcess> {
  const child = spawn(command, args, {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const deadline = Date.now() + timeoutMs;
  let viewerUrl: string | undefined;
  while (!viewerUrl) {
    viewerUrl = /viewer:\s+(\S+)/.exec(out)?.[1];
    if (viewerUrl) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      throw new Error(`serve did not start (exit ${child.exitCode}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = /access token:\s+(\S+)/.exec(out)?.[1];
  return {
    child,
    viewerUrl,
    base: new URL(viewerUrl).origin,
    token,
    output: () => out,
    async waitForOutput(pattern, waitMs = 30_000) {
      const until = Date.now() + waitMs;
      while (!pattern.test(out)) {
        if (Date.now() > until) throw new Error(`no ${pattern} in the output:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(signal = 'SIGINT', stopTimeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      // npm → sh → node: signal the whole group, as a terminal's Ctrl-C does.
      process.kill(-child.pid!, signal);
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, stopTimeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs `command args` to completion; resolves with its exit code and output. */
export function runToExit(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a listener the test starts next). */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
