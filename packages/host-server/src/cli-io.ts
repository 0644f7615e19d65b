/** What a command may touch, passed in so that tests run the CLI in-process. */
export interface CliIo {
  /** Where a command writes its output. */
  stdout: { write(chunk: string): unknown };
  /** Where a command writes its errors. */
  stderr: { write(chunk: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Options every command accepts (declared on the program, read with `optsWithGlobals()`). */
export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
}

/** A failure the user can fix; printed as one line, with no stack trace. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
