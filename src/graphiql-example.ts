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

/** The headers template GraphiQL shows outside demo mode: a placeholder, never a key. */
export const GRAPHIQL_HEADERS_TEMPLATE = JSON.stringify({ Authorization: 'Bearer <key>' }, null, 2);

/** GraphiQL's default tab and headers; `demoHeaders` is set only in demo mode. */
export function graphiqlDefaults(demoHeaders: Record<string, string> | undefined): { defaultQuery: string; headers: string } {
  return demoHeaders
    ? { defaultQuery: GRAPHIQL_DEMO_EXAMPLE, headers: JSON.stringify(demoHeaders) }
    : { defaultQuery: GRAPHIQL_STATUS_EXAMPLE, headers: GRAPHIQL_HEADERS_TEMPLATE };
}
