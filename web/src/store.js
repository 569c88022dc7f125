// What this browser tab posted, kept in memory only (a reload forgets it): the registrar's
// "posted records" list.
export const posted = [];
