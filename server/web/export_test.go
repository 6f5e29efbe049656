package web

// PromiseFor exposes the service-promise arithmetic to the external tests.
var PromiseFor = promiseFor
