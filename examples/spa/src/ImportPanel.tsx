import { useMutation, useSubscription } from "@apollo/client";
import { useState, type FormEvent } from "react";
import { graphql } from "./gql";

graphql(`
  fragment ImportProgress on ImportJob {
    id
    state
    fileName
    total
    processed
    created
    skipped
    invalid
    error
  }
`);

// Without a mapping the server uses the one it suggests from the file's headers.
const START_IMPORT = graphql(`
  mutation StartImport($file: Upload!) {
    startImport(file: $file) { ...ImportProgress }
  }
`);

// Answers with the job's current state first, so an import that finished quickly is still seen.
const IMPORT_UPDATED = graphql(`
  subscription ImportJobUpdated($id: ID!) {
    importJobUpdated(id: $id) { ...ImportProgress }
  }
`);

export function ImportPanel() {
  const [file, setFile] = useState<File | null>(null);
  const [start, started] = useMutation(START_IMPORT);
  const id = started.data?.startImport.id;
  const live = useSubscription(IMPORT_UPDATED, { variables: { id: id ?? "" }, skip: !id });
  const job = live.data?.importJobUpdated ?? started.data?.startImport;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (file) start({ variables: { file } }).catch(() => undefined); // shown from `started.error`
  }

  return (
    <section className="import" aria-label="Import contacts">
      <form onSubmit={submit}>
        <label>
          CSV or xlsx file
          <input type="file" accept=".csv,.xlsx" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <button type="submit" disabled={!file || started.loading}>
          Import
        </button>
      </form>
      {(started.error ?? live.error) && <p role="alert">{(started.error ?? live.error)?.message}</p>}
      {job && (
        <div role="status" aria-label="Import progress">
          <progress max={job.total || 1} value={job.processed} />
          <span data-testid="import-state">{job.state}</span>
          <span>
            {job.processed} / {job.total} rows: {job.created} created, {job.skipped} skipped, {job.invalid} invalid
          </span>
          {job.error && <span role="alert">{job.error}</span>}
        </div>
      )}
    </section>
  );
}
