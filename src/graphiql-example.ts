/** The organization demo mode seeds in its embedded emulator, so "invite teammates" works at once. */
export const DEMO_ORGANIZATION_ID = 'org_demo';

/**
 * What GraphiQL opens with. In demo mode the tab invites two teammates against the embedded emulator;
 * against a real Clerk instance it must be harmless to run, so it only reads the gateway's status, and
 * the headers editor shows where the caller's own key goes instead of carrying one.
 */
export const GRAPHIQL_DEMO_EXAMPLE = `# Invite two teammates into the demo organization. Run it twice: the second run shows ALREADY_INVITED.
# A frontend sends the same with its admin's Clerk session; createInvitations invites into the whole application.
mutation InviteTeammates {
  createOrganizationInvitations(
    organizationId: "${DEMO_ORGANIZATION_ID}"
    invitations: [
      { emailAddress: "ada@example.com", role: "org:member", publicMetadata: { team: "research" } }
      { emailAddress: "grace@example.com", role: "org:admin", expiresInDays: 7 }
    ]
  ) {
    createdCount
    failedCount
    results {
      __typename
      ... on OrganizationInvitationCreated {
        invitation { id emailAddress role status expiresAt }
      }
      ... on InvitationFailed {
        emailAddress code message retryable retryAfterSeconds
      }
    }
  }
}
`;

/** Read-only: running it sends nothing to Clerk and invites nobody. */
export const GRAPHIQL_STATUS_EXAMPLE = `# Read-only. Put your gateway API key (or a Clerk token) in the Headers tab below, then run.
# createInvitations sends real invitation emails: write that mutation yourself when you mean it.
query GatewayStatus {
  gatewayStatus {
    pendingInvitations
    channels { channel limit remaining resetAt pausedUntil }
    general { clerkLimit limit remaining resetAt }
    clerk { reachable lastCheckedAt lastError }
  }
}
`;

/**
 * The "Queue an import" tab in demo mode: a small import queued as a job, then followed to the end over
 * server-sent events. The fixed idempotency key makes a second run answer with the same job.
 */
export const GRAPHIQL_DEMO_QUEUE_EXAMPLE = `# Queue an import: submitInvitations answers at once with a job, and the gateway sends its invitations
# in full bulk calls as Clerk's hourly allowance frees up, even after this page is closed.
# Run QueueAnImport, copy the job's id into Variables as {"id": "job_…"}, then run FollowImport to watch it
# to the end over server-sent events, and ImportResults for each address's outcome. For a CSV file:
# npm run invite -- people.csv --queue --follow
mutation QueueAnImport {
  submitInvitations(
    idempotencyKey: "graphiql-demo-import"
    invitations: [
      { emailAddress: "katherine@example.com" }
      { emailAddress: "dorothy@example.com" }
      { emailAddress: "mary@example.com", expiresInDays: 14 }
      { emailAddress: "not-an-email" }
    ]
  ) {
    id state total createdCount failedCount pendingCount estimatedCompletionAt
  }
}

subscription FollowImport($id: ID!) {
  invitationJobProgress(id: $id) {
    id state createdCount failedCount pendingCount estimatedCompletionAt finishedAt
  }
}

query ImportResults($id: ID!) {
  invitationJob(id: $id) {
    state
    results(first: 20) {
      edges {
        index emailAddress
        result {
          __typename
          ... on InvitationCreated { invitation { id status } }
          ... on InvitationFailed { code message }
        }
      }
    }
  }
}
`;

/** The "Queue an import" tab against a real Clerk instance: read-only, like the status tab. */
export const GRAPHIQL_QUEUE_EXAMPLE = `# Queue an import. Read-only as written: it lists your jobs and follows one (put {"id": "job_…"} in Variables).
# To queue invitations (they send real emails), write the mutation yourself, e.g.
#   mutation { submitInvitations(invitations: [{ emailAddress: "ada@example.com" }], idempotencyKey: "import-1") { id state } }
# or queue a CSV file: npm run invite -- people.csv --queue --follow
query QueueAnImport {
  invitationJobs(first: 10) {
    edges { node { id state total createdCount failedCount pendingCount createdAt estimatedCompletionAt } }
  }
}

subscription FollowImport($id: ID!) {
  invitationJobProgress(id: $id) {
    id state createdCount failedCount pendingCount estimatedCompletionAt finishedAt
  }
}
`;

/** The headers template GraphiQL shows outside demo mode: a placeholder, never a key. */
export const GRAPHIQL_HEADERS_TEMPLATE = JSON.stringify({ Authorization: 'Bearer <key>' }, null, 2);

interface GraphiqlTab {
  query: string;
  headers: string;
  variables?: string;
}

/**
 * GraphiQL's tabs and headers; `demoHeaders` is set only in demo mode. The first tab is what GraphiQL
 * opens with, the second is "Queue an import"; each carries the headers, since GraphiQL gives a
 * default tab only its own.
 */
export function graphiqlDefaults(demoHeaders: Record<string, string> | undefined): { defaultQuery: string; headers: string; defaultTabs: GraphiqlTab[] } {
  const headers = demoHeaders ? JSON.stringify(demoHeaders) : GRAPHIQL_HEADERS_TEMPLATE;
  const first = demoHeaders ? GRAPHIQL_DEMO_EXAMPLE : GRAPHIQL_STATUS_EXAMPLE;
  const queue = demoHeaders ? GRAPHIQL_DEMO_QUEUE_EXAMPLE : GRAPHIQL_QUEUE_EXAMPLE;
  return { defaultQuery: first, headers, defaultTabs: [{ query: first, headers }, { query: queue, headers, variables: JSON.stringify({ id: '' }) }] };
}
