// A mocha file meant to run only inside a namespace (via runMochaInNetns in netns.test.ts);
// its name does not match *.test.js so the normal suites never pick it up.
import { expect } from 'chai';
import os from 'node:os';
import { inNetns } from '../../helpers/netns.js';

describe('inside the namespace', () => {
  it('sees only lo', () => {
    expect(inNetns()).to.equal(true);
    expect(Object.keys(os.networkInterfaces())).to.deep.equal(['lo']);
  });
});
