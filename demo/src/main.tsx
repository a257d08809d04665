/// <reference types="vite/client" />
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SessionProvider } from 'strata-storage/react';
import { App } from './app.js';
import { auth, tokens } from './sdk.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider auth={auth} tokens={tokens}>
      <App />
    </SessionProvider>
  </StrictMode>,
);
