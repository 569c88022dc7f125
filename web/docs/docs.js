// Draws the API reference from /openapi.json with Redoc (loaded before this script from the
// same origin; web/docs/fetch_renderer.sh). No inline script: the page's CSP forbids it.
(function () {
  'use strict';
  var root = document.getElementById('redoc');
  if (!window.Redoc || !root) return;
  window.Redoc.init(root.getAttribute('data-spec'), {
    hideDownloadButton: false,
    expandResponses: '200,201',
    disableSearch: false,
    nativeScrollbars: true,
    theme: {typography: {fontFamily: 'system-ui, sans-serif', headings: {fontFamily: 'system-ui, sans-serif'}}}
  }, root);
})();
