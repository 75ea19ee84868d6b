export interface ErrorProps {
  status: number;
  title: string;
  detail: string;
  requestId: string | undefined;
}

export function ErrorPage({ status, title, detail, requestId }: ErrorProps) {
  return (
    <>
      <h1>
        {status} · {title}
      </h1>
      <p class="notice error" role="alert">
        {detail}
      </p>
      {requestId && <p class="muted">Request id: {requestId}</p>}
      <p>
        <a href="/console">Back to the console</a>
      </p>
    </>
  );
}
