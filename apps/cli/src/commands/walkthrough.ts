/** What `pnpm dev` prints once the stack is ready: copy-paste commands for a first lease. */
export function walkthrough(
  api: string,
  configFile: string,
  emulators: { vault: string; aws: string; api: string },
): string {
  return `
Leash is running (development stack)
  API          ${api}   (OpenAPI: ${api}/openapi.json)
  trust file   ${configFile}
  Vault        ${emulators.vault}   (emulator; targets kv-reader, db-readonly)
  AWS          ${emulators.aws}   (STS/IAM/S3 emulator; target docs-reader, bucket leash-docs)
  HTTP API     ${emulators.api}   (API emulator behind the gateway: upstream demo-api, key in Vault KV)

In another terminal, walk through a task:

  export API=${api}
  export ORCH=$(pnpm -s leash dev token --sub spiffe://dev.local/orchestrator)
  export AGENT=$(pnpm -s leash dev token --sub spiffe://dev.local/agent/demo)

  # 1. the orchestrator registers a task for the agent
  curl -s -X POST $API/v1/tasks -H "authorization: Bearer $ORCH" -H 'content-type: application/json' \\
    -d '{"id":"demo-1","agent":"spiffe://dev.local/agent/demo","ceiling":[{"action":"read","resource":"docs/*"}],"ttl_seconds":600}'

  # 2. the agent asks for a credential for one intent
  export TOKEN=$(curl -s -X POST $API/v1/leases -H "authorization: Bearer $AGENT" -H 'content-type: application/json' \\
    -d '{"task_id":"demo-1","provider":"leash-jwt","intent":{"action":"read","resource":"docs/readme.md","tool":"docs-api","sensitivity":"internal"}}' \\
    | node -pe 'JSON.parse(require("fs").readFileSync(0)).credential.token')

  # 3. a tool asks whether the token is live            -> {"active":true,...}
  curl -s -X POST $API/v1/introspect -H "authorization: Bearer $AGENT" -d "token=$TOKEN"

  # 4. the orchestrator completes the task              -> {"id":"demo-1","state":"completed","revoking":1}
  curl -s -X POST $API/v1/tasks/demo-1/complete -H "authorization: Bearer $ORCH"

  # 5. the same token is dead                           -> {"active":false}
  curl -s -X POST $API/v1/introspect -H "authorization: Bearer $AGENT" -d "token=$TOKEN"

  # Vault: a token scoped to the kv-read policy, for a task whose ceiling allows it
  #   -d '{"task_id":"<task>","provider":"vault","target":"kv-reader","intent":{"action":"read","resource":"secret/app","sensitivity":"internal"}}'

  # AWS: keys scoped to one object of the leash-docs bucket (use them with the AWS CLI or SDK against the emulator)
  #   -d '{"task_id":"<task>","provider":"aws-sts","target":"docs-reader","intent":{"action":"read","resource":"docs/readme.md","sensitivity":"internal"}}'

Press Ctrl-C to stop everything.
`;
}
