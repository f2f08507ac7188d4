/** Stylesheets the page imports for their side effect: esbuild bundles them into web/dashboard.css. */
declare module "*.css";
