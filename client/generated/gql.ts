/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation CreateInvitations($invitations: [InvitationInput!]!) {\n  createInvitations(invitations: $invitations) {\n    createdCount\n    failedCount\n    results {\n      __typename\n      ... on InvitationCreated {\n        invitation {\n          id\n          emailAddress\n          status\n          url\n          expiresAt\n          createdAt\n        }\n      }\n      ... on InvitationFailed {\n        emailAddress\n        code\n        message\n        retryable\n        retryAfterSeconds\n        clerkTraceId\n      }\n    }\n  }\n}": typeof types.CreateInvitationsDocument,
    "mutation CreateOrganizationInvitations($organizationId: ID!, $invitations: [OrganizationInvitationInput!]!) {\n  createOrganizationInvitations(\n    organizationId: $organizationId\n    invitations: $invitations\n  ) {\n    createdCount\n    failedCount\n    results {\n      __typename\n      ... on OrganizationInvitationCreated {\n        invitation {\n          id\n          organizationId\n          emailAddress\n          role\n          status\n          expiresAt\n          createdAt\n        }\n      }\n      ... on InvitationFailed {\n        emailAddress\n        code\n        message\n        retryable\n        retryAfterSeconds\n        clerkTraceId\n      }\n    }\n  }\n}": typeof types.CreateOrganizationInvitationsDocument,
    "query FindInvitations($query: String!) {\n  invitations(query: $query, first: 20) {\n    edges {\n      node {\n        id\n        emailAddress\n        status\n        createdAt\n      }\n    }\n  }\n}": typeof types.FindInvitationsDocument,
    "query GatewayStatus {\n  gatewayStatus {\n    pendingInvitations\n    channels {\n      channel\n      limit\n      remaining\n      resetAt\n      pausedUntil\n    }\n  }\n}": typeof types.GatewayStatusDocument,
    "query Invitations($status: InvitationStatus, $query: String, $first: Int, $after: String) {\n  invitations(status: $status, query: $query, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        emailAddress\n        status\n        publicMetadata\n        expiresAt\n        createdAt\n        updatedAt\n        revoked\n        url\n      }\n    }\n  }\n}": typeof types.InvitationsDocument,
    "query OrganizationInvitations($organizationId: ID!, $status: InvitationStatus, $first: Int, $after: String) {\n  organizationInvitations(\n    organizationId: $organizationId\n    status: $status\n    first: $first\n    after: $after\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        emailAddress\n        role\n        status\n        createdAt\n        expiresAt\n      }\n    }\n  }\n}": typeof types.OrganizationInvitationsDocument,
    "mutation RevokeInvitation($id: ID!) {\n  revokeInvitation(id: $id) {\n    id\n    emailAddress\n    status\n    revoked\n    updatedAt\n  }\n}": typeof types.RevokeInvitationDocument,
    "mutation RevokeOrganizationInvitation($organizationId: ID!, $id: ID!) {\n  revokeOrganizationInvitation(organizationId: $organizationId, id: $id) {\n    id\n    status\n  }\n}": typeof types.RevokeOrganizationInvitationDocument,
};
const documents: Documents = {
    "mutation CreateInvitations($invitations: [InvitationInput!]!) {\n  createInvitations(invitations: $invitations) {\n    createdCount\n    failedCount\n    results {\n      __typename\n      ... on InvitationCreated {\n        invitation {\n          id\n          emailAddress\n          status\n          url\n          expiresAt\n          createdAt\n        }\n      }\n      ... on InvitationFailed {\n        emailAddress\n        code\n        message\n        retryable\n        retryAfterSeconds\n        clerkTraceId\n      }\n    }\n  }\n}": types.CreateInvitationsDocument,
    "mutation CreateOrganizationInvitations($organizationId: ID!, $invitations: [OrganizationInvitationInput!]!) {\n  createOrganizationInvitations(\n    organizationId: $organizationId\n    invitations: $invitations\n  ) {\n    createdCount\n    failedCount\n    results {\n      __typename\n      ... on OrganizationInvitationCreated {\n        invitation {\n          id\n          organizationId\n          emailAddress\n          role\n          status\n          expiresAt\n          createdAt\n        }\n      }\n      ... on InvitationFailed {\n        emailAddress\n        code\n        message\n        retryable\n        retryAfterSeconds\n        clerkTraceId\n      }\n    }\n  }\n}": types.CreateOrganizationInvitationsDocument,
    "query FindInvitations($query: String!) {\n  invitations(query: $query, first: 20) {\n    edges {\n      node {\n        id\n        emailAddress\n        status\n        createdAt\n      }\n    }\n  }\n}": types.FindInvitationsDocument,
    "query GatewayStatus {\n  gatewayStatus {\n    pendingInvitations\n    channels {\n      channel\n      limit\n      remaining\n      resetAt\n      pausedUntil\n    }\n  }\n}": types.GatewayStatusDocument,
    "query Invitations($status: InvitationStatus, $query: String, $first: Int, $after: String) {\n  invitations(status: $status, query: $query, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        emailAddress\n        status\n        publicMetadata\n        expiresAt\n        createdAt\n        updatedAt\n        revoked\n        url\n      }\n    }\n  }\n}": types.InvitationsDocument,
    "query OrganizationInvitations($organizationId: ID!, $status: InvitationStatus, $first: Int, $after: String) {\n  organizationInvitations(\n    organizationId: $organizationId\n    status: $status\n    first: $first\n    after: $after\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        emailAddress\n        role\n        status\n        createdAt\n        expiresAt\n      }\n    }\n  }\n}": types.OrganizationInvitationsDocument,
    "mutation RevokeInvitation($id: ID!) {\n  revokeInvitation(id: $id) {\n    id\n    emailAddress\n    status\n    revoked\n    updatedAt\n  }\n}": types.RevokeInvitationDocument,
    "mutation RevokeOrganizationInvitation($organizationId: ID!, $id: ID!) {\n  revokeOrganizationInvitation(organizationId: $organizationId, id: $id) {\n    id\n    status\n  }\n}": types.RevokeOrganizationInvitationDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateInvitations($invitations: [InvitationInput!]!) {\n  createInvitations(invitations: $invitations) {\n    createdCount\n    failedCount\n    results {\n      __typename\n      ... on InvitationCreated {\n        invitation {\n          id\n          emailAddress\n          status\n          url\n          expiresAt\n          createdAt\n        }\n      }\n      ... on InvitationFailed {\n        emailAddress\n        code\n        message\n        retryable\n        retryAfterSeconds\n        clerkTraceId\n      }\n    }\n  }\n}"): (typeof documents)["mutation CreateInvitations($invitations: [InvitationInput!]!) {\n  createInvitations(invitations: $invitations) {\n    createdCount\n    failedCount\n    results {\n      __typename\n      ... on InvitationCreated {\n        invitation {\n          id\n          emailAddress\n          status\n          url\n          expiresAt\n          createdAt\n        }\n      }\n      ... on InvitationFailed {\n        emailAddress\n        code\n        message\n        retryable\n        retryAfterSeconds\n        clerkTraceId\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateOrganizationInvitations($organizationId: ID!, $invitations: [OrganizationInvitationInput!]!) {\n  createOrganizationInvitations(\n    organizationId: $organizationId\n    invitations: $invitations\n  ) {\n    createdCount\n    failedCount\n    results {\n      __typename\n      ... on OrganizationInvitationCreated {\n        invitation {\n          id\n          organizationId\n          emailAddress\n          role\n          status\n          expiresAt\n          createdAt\n        }\n      }\n      ... on InvitationFailed {\n        emailAddress\n        code\n        message\n        retryable\n        retryAfterSeconds\n        clerkTraceId\n      }\n    }\n  }\n}"): (typeof documents)["mutation CreateOrganizationInvitations($organizationId: ID!, $invitations: [OrganizationInvitationInput!]!) {\n  createOrganizationInvitations(\n    organizationId: $organizationId\n    invitations: $invitations\n  ) {\n    createdCount\n    failedCount\n    results {\n      __typename\n      ... on OrganizationInvitationCreated {\n        invitation {\n          id\n          organizationId\n          emailAddress\n          role\n          status\n          expiresAt\n          createdAt\n        }\n      }\n      ... on InvitationFailed {\n        emailAddress\n        code\n        message\n        retryable\n        retryAfterSeconds\n        clerkTraceId\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query FindInvitations($query: String!) {\n  invitations(query: $query, first: 20) {\n    edges {\n      node {\n        id\n        emailAddress\n        status\n        createdAt\n      }\n    }\n  }\n}"): (typeof documents)["query FindInvitations($query: String!) {\n  invitations(query: $query, first: 20) {\n    edges {\n      node {\n        id\n        emailAddress\n        status\n        createdAt\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GatewayStatus {\n  gatewayStatus {\n    pendingInvitations\n    channels {\n      channel\n      limit\n      remaining\n      resetAt\n      pausedUntil\n    }\n  }\n}"): (typeof documents)["query GatewayStatus {\n  gatewayStatus {\n    pendingInvitations\n    channels {\n      channel\n      limit\n      remaining\n      resetAt\n      pausedUntil\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Invitations($status: InvitationStatus, $query: String, $first: Int, $after: String) {\n  invitations(status: $status, query: $query, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        emailAddress\n        status\n        publicMetadata\n        expiresAt\n        createdAt\n        updatedAt\n        revoked\n        url\n      }\n    }\n  }\n}"): (typeof documents)["query Invitations($status: InvitationStatus, $query: String, $first: Int, $after: String) {\n  invitations(status: $status, query: $query, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        emailAddress\n        status\n        publicMetadata\n        expiresAt\n        createdAt\n        updatedAt\n        revoked\n        url\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query OrganizationInvitations($organizationId: ID!, $status: InvitationStatus, $first: Int, $after: String) {\n  organizationInvitations(\n    organizationId: $organizationId\n    status: $status\n    first: $first\n    after: $after\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        emailAddress\n        role\n        status\n        createdAt\n        expiresAt\n      }\n    }\n  }\n}"): (typeof documents)["query OrganizationInvitations($organizationId: ID!, $status: InvitationStatus, $first: Int, $after: String) {\n  organizationInvitations(\n    organizationId: $organizationId\n    status: $status\n    first: $first\n    after: $after\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        emailAddress\n        role\n        status\n        createdAt\n        expiresAt\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RevokeInvitation($id: ID!) {\n  revokeInvitation(id: $id) {\n    id\n    emailAddress\n    status\n    revoked\n    updatedAt\n  }\n}"): (typeof documents)["mutation RevokeInvitation($id: ID!) {\n  revokeInvitation(id: $id) {\n    id\n    emailAddress\n    status\n    revoked\n    updatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RevokeOrganizationInvitation($organizationId: ID!, $id: ID!) {\n  revokeOrganizationInvitation(organizationId: $organizationId, id: $id) {\n    id\n    status\n  }\n}"): (typeof documents)["mutation RevokeOrganizationInvitation($organizationId: ID!, $id: ID!) {\n  revokeOrganizationInvitation(organizationId: $organizationId, id: $id) {\n    id\n    status\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;