// The two ways a tool refuses: bad usage and a failed setup step. Both end in
// one line on stderr and exit status 1 (or the status given).
export class ToolError extends Error {
  /** the tool the error is from, when not the one that reports it (a folded link) */
  tool?: string;
  constructor(message: string, readonly status = 1) {
    super(message);
  }
}

/** Bad command line: the message is followed by a hint to read --help. */
export class UsageError extends ToolError {
  readonly usage = true;
}
