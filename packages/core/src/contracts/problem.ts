/** One field-level error, named by its path (`query.weeks`, `body.items.3.qty`). */
export interface FieldError {
  field: string;
  message: string;
}

/** The body of an RFC 9457 problem+json answer. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/**
 * An error that maps to an RFC 9457 `application/problem+json` answer. Anything else thrown by a handler
 * becomes a 500 whose body says nothing about the internals.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(options: {
    status: number;
    title: string;
    detail?: string;
    errors?: FieldError[];
    extensions?: Record<string, unknown>;
    headers?: Record<string, string>;
  }) {
    super(options.detail ? `${options.title}: ${options.detail}` : options.title);
    this.name = 'HttpProblem';
    this.status = options.status;
    this.title = options.title;
    this.detail = options.detail;
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  /** The problem+json body of this error. */
  toBody(instance?: string): ProblemBody {
    return {
      type: `https://rfid3.dev/problems/${this.status}`,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }

  /** A 400 Bad Request, with the fields at fault. */
  static badRequest(detail: string, errors?: FieldError[]): HttpProblem {
    return new HttpProblem({ status: 400, title: 'Bad Request', detail, errors });
  }

  /** A 404 Not Found. */
  static notFound(detail: string): HttpProblem {
    return new HttpProblem({ status: 404, title: 'Not Found', detail });
  }

  /** A 409 Conflict. */
  static conflict(detail: string): HttpProblem {
    return new HttpProblem({ status: 409, title: 'Conflict', detail });
  }

  /** A dependency is away: try again after `retryAfterSeconds`. */
  static serviceUnavailable(detail: string, retryAfterSeconds: number, extensions: Record<string, unknown> = {}): HttpProblem {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    return new HttpProblem({
      status: 503,
      title: 'Service Unavailable',
      detail,
      headers: { 'Retry-After': String(seconds) },
      extensions: { retryAfterSeconds: seconds, ...extensions },
    });
  }
}
