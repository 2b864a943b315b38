/** The operation GraphiQL opens with: ready to run against the embedded emulator. */
export const GRAPHIQL_EXAMPLE = `# Invite two people. Run it twice: the second run shows ALREADY_INVITED.
mutation InviteTeammates {
  createInvitations(
    invitations: [
      { emailAddress: "ada@example.com", publicMetadata: { team: "research" } }
      { emailAddress: "grace@example.com", expiresInDays: 7 }
    ]
  ) {
    createdCount
    failedCount
    results {
      __typename
      ... on InvitationCreated {
        invitation { id emailAddress status url expiresAt }
      }
      ... on InvitationFailed {
        emailAddress code message retryable retryAfterSeconds
      }
    }
  }
}
`;
