/** The demo page's client id. */
export const DEMO_CLIENT_ID: string;
/** The audience of the app API's access tokens. */
export const API_AUDIENCE: string;
/** The confidential client that may introspect. */
export const INTROSPECTION_CLIENT_ID: string;
