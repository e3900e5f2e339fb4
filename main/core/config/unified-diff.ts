// The unified diff `lakekey configure-aws --dry-run` prints, made by the `diff` package. Its own
// module so that only that command loads the library (the credential-process hot path never does).
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/**
 * A unified diff of `before` → `after` for --dry-run, as `patch` and `git apply` expect: the
 * `---`/`+++` header naming `file`, hunks with up to `context` unchanged lines on each side, and
 * the "\ No newline at end of file" marker where a file ends without one. The last line has no
 * '\n': the caller prints it as a line.
 */
export function unifiedDiff(before: string, after: string, file: string, context = 3): string {
  return createTwoFilesPatch(file, file, before, after, undefined, undefined, { context, headerOptions: FILE_HEADERS_ONLY }).replace(/\n$/, '');
}
