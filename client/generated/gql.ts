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
    "query FindInvitations($query: String!) {\n  invitations(query: $query, first: 20) {\n    edges {\n      node {\n        id\n        emailAddress\n        status\n        createdAt\n      }\n    }\n  }\n}": typeof types.FindInvitationsDocument,
    "query GatewayStatus {\n  gatewayStatus {\n    pendingInvitations\n    channels {\n      channel\n      limit\n      remaining\n      resetAt\n      pausedUntil\n    }\n  }\n}": typeof types.GatewayStatusDocument,
    "query Invitations($status: InvitationStatus, $query: String, $first: Int, $after: String) {\n  invitations(status: $status, query: $query, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        emailAddress\n        status\n        publicMetadata\n        expiresAt\n        createdAt\n        updatedAt\n        revoked\n        url\n      }\n    }\n  }\n}": typeof types.InvitationsDocument,
    "mutation RevokeInvitation($id: ID!) {\n  revokeInvitation(id: $id) {\n    id\n    emailAddress\n    status\n    revoked\n    updatedAt\n  }\n}": typeof types.RevokeInvitationDocument,
};
const documents: Documents = {
    "mutation CreateInvitations($invitations: [InvitationInput!]!) {\n  createInvitations(invitations: $invitations) {\n    createdCount\n    failedCount\n    results {\n      __typename\n      ... on InvitationCreated {\n        invitation {\n          id\n          emailAddress\n          status\n          url\n          expiresAt\n          createdAt\n        }\n      }\n      ... on InvitationFailed {\n        emailAddress\n        code\n        message\n        retryable\n        retryAfterSeconds\n        clerkTraceId\n      }\n    }\n  }\n}": types.CreateInvitationsDocument,
    "query FindInvitations($query: String!) {\n  invitations(query: $query, first: 20) {\n    edges {\n      node {\n        id\n        emailAddress\n        status\n        createdAt\n      }\n    }\n  }\n}": types.FindInvitationsDocument,
    "query GatewayStatus {\n  gatewayStatus {\n    pendingInvitations\n    channels {\n      channel\n      limit\n      remaining\n      resetAt\n      pausedUntil\n    }\n  }\n}": types.GatewayStatusDocument,
    "query Invitations($status: InvitationStatus, $query: String, $first: Int, $after: String) {\n  invitations(status: $status, query: $query, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        emailAddress\n        status\n        publicMetadata\n        expiresAt\n        createdAt\n        updatedAt\n        revoked\n        url\n      }\n    }\n  }\n}": types.InvitationsDocument,
    "mutation RevokeInvitation($id: ID!) {\n  revokeInvitation(id: $id) {\n    id\n    emailAddress\n    status\n    revoked\n    updatedAt\n  }\n}": types.RevokeInvitationDocument,
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
export function graphql(source: "mutation RevokeInvitation($id: ID!) {\n  revokeInvitation(id: $id) {\n    id\n    emailAddress\n    status\n    revoked\n    updatedAt\n  }\n}"): (typeof documents)["mutation RevokeInvitation($id: ID!) {\n  revokeInvitation(id: $id) {\n    id\n    emailAddress\n    status\n    revoked\n    updatedAt\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;