/**
 * What a docker dialog's form shows while and after it is sent: errors under fields, one error
 * for the whole form, and "busy" while the request runs. The create, pull, push, build and import
 * dialogs each had this try/catch; now they say only what they send.
 */
import { errorField, errorMessage } from '$lib/api';
import { focusFirstInvalid, withoutError } from '$lib/components/focusError';

interface SubmitOptions {
  /** Fields whose server-side errors (`errorField`) go under the field instead of the form. */
  fields?: readonly string[];
  /** Something the form shows by itself (e.g. duplicate keys) stops the submit too. */
  blocked?: boolean;
  /** The form-level message for a failure (default: the API error's message). */
  describe?: (err: unknown) => string;
}

export class FormState {
  errors = $state<Record<string, string>>({});
  formError = $state<string | null>(null);
  busy = $state(false);
  /** The form element: a refused submit scrolls to and focuses its first invalid field there. */
  root: HTMLElement | undefined = undefined;

  /** A field's error goes as soon as its input changes (a stale error must not outlive the fix). */
  clear(...fields: string[]): void {
    const next = withoutError(this.errors, ...fields);
    if (next !== this.errors) this.errors = next;
  }

  /** Clear the messages (the dialog opens again). */
  reset(): void {
    this.errors = {};
    this.formError = null;
  }

  /** Show the client-side `errors`; when there are none, run `send` with the form busy. */
  async submit(errors: Record<string, string>, send: () => Promise<void>, opts: SubmitOptions = {}): Promise<void> {
    this.errors = errors;
    if (Object.keys(errors).length) void focusFirstInvalid(this.root);
    if (Object.keys(errors).length || opts.blocked) return;
    this.busy = true;
    this.formError = null;
    try {
      await send();
    } catch (err) {
      const field = errorField(err);
      if (field && opts.fields?.includes(field)) {
        this.errors = { [field]: errorMessage(err) };
        void focusFirstInvalid(this.root);
      } else this.formError = (opts.describe ?? errorMessage)(err);
    } finally {
      this.busy = false;
    }
  }
}
