import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The fresh app's own Vite config, as `npm create vite` (React + TypeScript) writes it.
export default defineConfig({ plugins: [react()], logLevel: 'warn' });
