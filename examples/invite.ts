/**
 * Invites the addresses given on the command line through the gateway, with the typed document that
 * graphql-codegen generated from schema.graphql.
 *
 *   npx tsx examples/invite.ts ada@example.com grace@example.com
 *   GATEWAY_URL=https://gateway.example.com/graphql GATEWAY_API_KEY=… npx tsx examples/invite.ts …
 */
import { print } from 'graphql';
import { CreateInvitationsDocument, type CreateInvitationsMutation } from '../client/generated/graphql.js';

const url = process.env.GATEWAY_URL ?? 'http://localhost:4000/graphql';
const emails = process.argv.slice(2);
if (emails.length === 0) {
  console.error('usage: tsx examples/invite.ts <email> [<email> …]');
  process.exit(2);
}

const response = await fetch(url, {
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    ...(process.env.GATEWAY_API_KEY ? { authorization: `Bearer ${process.env.GATEWAY_API_KEY}` } : {}),
  },
  body: JSON.stringify({
    query: print(CreateInvitationsDocument),
    variables: { invitations: emails.map((emailAddress) => ({ emailAddress })) },
  }),
});
const body = (await response.json()) as { data?: CreateInvitationsMutation; errors?: { message: string }[] };
if (!body.data) {
  console.error(body.errors?.map((e) => e.message).join('\n') ?? `HTTP ${response.status}`);
  process.exit(1);
}
for (const result of body.data.createInvitations.results) {
  if (result.__typename === 'InvitationCreated') console.log(`invited  ${result.invitation.emailAddress}  ${result.invitation.id}`);
  else console.log(`failed   ${result.emailAddress}  ${result.code}: ${result.message}`);
}
process.exit(body.data.createInvitations.failedCount === 0 ? 0 : 1);
