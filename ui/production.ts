// Imported first by the UI entry points, before ink and React load: React's
// development build re-checks every render and makes each frame about three
// times as expensive, CPU the simulation under the UI would rather have.
process.env.NODE_ENV ??= 'production';
