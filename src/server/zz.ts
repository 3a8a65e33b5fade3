import { startTestService, tempDataDir } from './testing/testService.js';
const d = tempDataDir();
let t = Date.now();
const { service } = await startTestService(d.dir);
console.log('start ms', Date.now() - t);
t = Date.now(); await service.stop(); console.log('stop ms', Date.now() - t); d.remove();
