/** Who is calling: a Clerk user, a gateway API key or a Clerk machine. */
export interface Caller {
  /** Stable identity for limits and logs: `user:user_2x…`, `apikey:ci`, `machine:mch_…`. */
  id: string;
  /** `anonymous` never reaches a resolver: requests without a valid credential end with 401 first. */
  kind: 'user' | 'apikey' | 'machine' | 'anonymous';
  /** May invite people and use the admin fields: the schema's `inviter` auth scope. */
  inviter?: boolean;
  /** Clerk users: the active organization as the session token states it. */
  org?: { id: string | null; role: string | null; permissions: string[] };
}
