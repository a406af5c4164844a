/**
 * Diagnostics with exact positions. Printed as `file:line:col: error|warning: message`
 * (keepalived itself only ever gives `(file: Line N)`).
 */

/** A place in a configuration file (1-based line and column; columns count UTF-16 code units). */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem found in a configuration. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly pos: SourcePos;
  /**
   * A warning keepalived reports as a configuration error while keeping the item (its `report_config_error` for
   * things it then accepts): the configuration runs as written, but `-t` exits 5 as keepalived's does.
   */
  readonly failsTest?: true;
  /**
   * A word missing where keepalived reads one without checking (its null_strvec): keepalived stops reading there and
   * `-t` exits 2 (KEEPALIVED_EXIT_CONFIG). We report it as an error and go on; `-t` exits 2 as keepalived's.
   */
  readonly missingWord?: true;
  /**
   * A warning for `-t` (keepalived accepts the file) after which the daemon keeps its running configuration at a
   * reload: an include that matches no file leaves the new configuration likely incomplete (issue 16: an error at a
   * reload never replaces the running configuration).
   */
  readonly refusesReload?: true;
  /**
   * keepalived's class of the report when it decides `-t`'s status by itself: `fatal` for CONFIG_FATAL, CONFIG_BAD_IF
   * and CONFIG_FILE_NOT_FOUND (exit 4 when nothing else is wrong: config_test_exit), `noConfig` for an include that
   * fails include_check (keepalived stops after reading the files with KEEPALIVED_EXIT_NO_CONFIG, 6).
   */
  readonly exitClass?: 'fatal' | 'noConfig';
}

/** `file:line:col: severity: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.pos.file}:${d.pos.line}:${d.pos.col}: ${d.severity}: ${d.message}`;
}

/** Collects diagnostics; passed explicitly through the lexer and parser (no globals). */
export class DiagnosticSink {
  /** Everything reported so far, in order. */
  readonly items: Diagnostic[] = [];

  /** Reports an error at `pos`. */
  error(pos: SourcePos, message: string): void {
    this.items.push({ severity: 'error', message, pos });
  }

  /** Reports a warning at `pos`. */
  warning(pos: SourcePos, message: string): void {
    this.items.push({ severity: 'warning', message, pos });
  }

  /** Reports an error keepalived reports as CONFIG_FATAL / CONFIG_BAD_IF (see `Diagnostic.exitClass`). */
  fatal(pos: SourcePos, message: string): void {
    this.items.push({ severity: 'error', message, pos, exitClass: 'fatal' });
  }

  /** Reports an include that fails include_check (see `Diagnostic.exitClass`). */
  includeError(pos: SourcePos, message: string): void {
    this.items.push({ severity: 'error', message, pos, exitClass: 'noConfig' });
  }

  /** Reports a warning that makes `-t` fail as keepalived's does (see `Diagnostic.failsTest`). */
  keptError(pos: SourcePos, message: string): void {
    this.items.push({ severity: 'warning', message, pos, failsTest: true });
  }

  /** Reports a warning that `-t` passes but that makes a reload keep the running configuration (`refusesReload`). */
  reloadRefusingWarning(pos: SourcePos, message: string): void {
    this.items.push({ severity: 'warning', message, pos, refusesReload: true });
  }

  /** Reports a missing word as keepalived's null_strvec does (an error; `-t` exits 2). */
  missingWord(pos: SourcePos, message: string): void {
    this.items.push({ severity: 'error', message, pos, missingWord: true });
  }

  /** True when at least one error was reported. */
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}
