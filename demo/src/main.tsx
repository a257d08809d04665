/// <reference types="vite/client" />
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SessionProvider } from 'strata-storage/react';
import { App } from './app.js';
import { completeSignIn, isCallback } from './callback.js';
import { auth, tokens } from './sdk.js';
import './styles.css';

// Once per page load, outside React: StrictMode mounts twice, a code is good once.
const callback = isCallback() ? completeSignIn() : null;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider auth={auth} tokens={tokens}>
      <App callback={callback} />
    </SessionProvider>
  </StrictMode>,
);
