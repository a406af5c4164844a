/**
 * Process exit codes.
 *
 * Exit codes are keepalived's (`lib/scheduler.h enum exit_code`, and `main.c config_test_exit` for `-t`),
 * so init systems and scripts that check them keep working.
 */

/** Daemon exit statuses, as keepalived 2.2.7. */
export const ExitCode = {
  OK: 0,
  FATAL: 1,
  CONFIG: 2,
  MISSING_PERMISSION: 4,
  NO_CONFIG: 6,
  PROGRAM_ERROR: 70,
  NO_MEMORY: 204,
} as const;

/** `--config-test` exit statuses, as keepalived 2.2.7 (`config_test_exit`). */
export const ConfigTestExit = {
  OK: 0,
  /** File not found, bad interface, fatal error. */
  FATAL: 4,
  /** Configuration errors that keepalived tolerates (e.g. auth_pass truncated). */
  ERRORS: 5,
  /** Scripts configured without enable_script_security. */
  SCRIPT_SECURITY: 6,
  /** An include failing include_check (KEEPALIVED_EXIT_NO_CONFIG: keepalived stops after reading the files). */
  NO_CONFIG: 6,
} as const;

/**
 * Stable codes carried by errors at the daemon's and the CLI's boundaries (thrown, returned, or in control-socket
 * replies), in the manner of undici's `UND_ERR_*`: programs match the code, people read the message. Log texts
 * stay keepalived's; the codes never appear in them.
 */
export const ErrorCodes = {
  /** The configuration file is missing or cannot be read. */
  CONFIG_UNREADABLE: 'KTS_CONFIG_UNREADABLE',
  /** The configuration has errors that keep it from being used. */
  CONFIG_INVALID: 'KTS_CONFIG_INVALID',
  /** A pid file cannot be written. */
  PIDFILE_UNWRITABLE: 'KTS_PIDFILE_UNWRITABLE',
  /** Another daemon owns the pid files or the control socket. */
  ALREADY_RUNNING: 'KTS_ALREADY_RUNNING',
  /** The control socket cannot be reached. */
  CONTROL_UNREACHABLE: 'KTS_CONTROL_UNREACHABLE',
  /** The daemon did not answer in time. */
  CONTROL_TIMEOUT: 'KTS_CONTROL_TIMEOUT',
  /** The answer was not one JSON line. */
  CONTROL_BAD_REPLY: 'KTS_CONTROL_BAD_REPLY',
  /** The control socket does not know the command. */
  UNKNOWN_COMMAND: 'KTS_UNKNOWN_COMMAND',
  /** A reload was refused (the new configuration has errors) or failed. */
  RELOAD_FAILED: 'KTS_RELOAD_FAILED',
  /** The child process that answers this is not running (being respawned, or not configured). */
  CHILD_UNAVAILABLE: 'KTS_CHILD_UNAVAILABLE',
  /** A child process could not be started. */
  CHILD_SPAWN_FAILED: 'KTS_CHILD_SPAWN_FAILED',
  /** A runtime failed to start. */
  RUNTIME_START_FAILED: 'KTS_RUNTIME_START_FAILED',
  /** The control-socket caller may not do this. */
  PERMISSION_DENIED: 'KTS_PERMISSION_DENIED',
  /** An unexpected internal failure. */
  INTERNAL: 'KTS_INTERNAL',
} as const;

/** One of the stable codes. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** An error with a stable `code` (see ErrorCodes). */
export class KtsError extends Error {
  /** Stable machine-readable code, e.g. `KTS_CONFIG_UNREADABLE`. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KtsError';
    this.code = code;
  }
}
