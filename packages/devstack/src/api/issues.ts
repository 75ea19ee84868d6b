import { type Exchange, HttpProblem, readJsonObject, sendJson } from "./http.js";

interface Issue {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  created_at: string;
  updated_at: string;
}

function text(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length > max) throw new HttpProblem(422, `Invalid ${field}`);
  return value;
}

/** GitHub-shaped issues, per repository, in memory: enough JSON resources to drive every action of an intent. */
export class IssueStore {
  private readonly repos = new Map<string, { next: number; issues: Map<number, Issue> }>();

  seed(repo: string, issues: readonly { title: string; body?: string | undefined }[]): void {
    for (const issue of issues) this.create(repo, issue.title, issue.body ?? null);
  }

  private repo(name: string) {
    let repo = this.repos.get(name);
    if (!repo) {
      repo = { next: 1, issues: new Map() };
      this.repos.set(name, repo);
    }
    return repo;
  }

  private create(repoName: string, title: string, body: string | null): Issue {
    const repo = this.repo(repoName);
    const now = new Date().toISOString();
    const issue: Issue = {
      number: repo.next++,
      title,
      body,
      state: "open",
      created_at: now,
      updated_at: now,
    };
    repo.issues.set(issue.number, issue);
    return issue;
  }

  /** /repos/<owner>/<repo>/issues[/<number>]: GET and POST on the list; GET, PATCH, PUT and DELETE on one. */
  async handle(ex: Exchange, repoName: string, number: string | undefined): Promise<void> {
    const method = ex.req.method === "HEAD" ? "GET" : ex.req.method;
    const repo = this.repo(repoName);
    if (number === undefined) {
      if (method === "GET") return sendJson(ex, 200, [...repo.issues.values()]);
      if (method !== "POST") throw new HttpProblem(405, "Method Not Allowed");
      const input = await readJsonObject(ex);
      const title = text(input.title, "title", 256);
      if (!title) throw new HttpProblem(422, "Validation Failed: title is missing");
      return sendJson(ex, 201, this.create(repoName, title, text(input.body, "body", 65_536) ?? null));
    }
    const issue = repo.issues.get(Number(number));
    if (!issue) throw new HttpProblem(404, "Not Found");
    if (method === "GET") return sendJson(ex, 200, issue);
    if (method === "DELETE") {
      repo.issues.delete(issue.number);
      return sendJson(ex, 204, undefined);
    }
    if (method !== "PATCH" && method !== "PUT") throw new HttpProblem(405, "Method Not Allowed");
    const input = await readJsonObject(ex);
    issue.title = text(input.title, "title", 256) ?? issue.title;
    const body = text(input.body, "body", 65_536);
    if (body !== undefined) issue.body = body;
    if (input.state !== undefined) {
      if (input.state !== "open" && input.state !== "closed") throw new HttpProblem(422, "Invalid state");
      issue.state = input.state;
    }
    issue.updated_at = new Date().toISOString();
    return sendJson(ex, 200, issue);
  }
}
