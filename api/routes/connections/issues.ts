import { AppError } from '../../errors';

/** One problem zod cannot see (it needs the whole resource, or other resources). `field` is a path like `steps[1].endpointId`. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** Throws a 400 with `code` whose details list every issue, so an editor can mark each field at once. */
export function rejectIssues(code: string, issues: FieldIssue[]): void {
  const first = issues[0];
  if (first) throw new AppError(400, code, `${first.field}: ${first.message}`, issues);
}
