import { DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import net from 'node:net';
process.env.AWS_REGION='eu-west-1';process.env.AWS_ACCESS_KEY_ID='x';process.env.AWS_SECRET_ACCESS_KEY='y';
process.env.AWS_ENDPOINT_URL_DYNAMODB='http://127.0.0.1:1';
const c = new DynamoDBClient({maxAttempts:1});
const cmd = new DescribeTableCommand({TableName:'x'});
cmd.middlewareStack.add((next)=>async(args)=>{console.log('req', args.request.protocol, args.request.hostname, args.request.port, args.request.path); return next(args)},{step:'finalizeRequest'});
try { await c.send(cmd) } catch(e){ console.log(e.name, e.code, e.message, e.$metadata, Object.keys(e)) }
// server that accepts then resets
const srv = net.createServer(s=>{ s.on('data',()=>s.destroy()) }).listen(0);
await new Promise(r=>srv.on('listening',r));
const c2 = new DynamoDBClient({maxAttempts:1, endpoint:`http://127.0.0.1:${srv.address().port}`, requestHandler: new NodeHttpHandler({requestTimeout:500})});
try { await c2.send(new DescribeTableCommand({TableName:'x'})) } catch(e){ console.log(e.name, e.code, e.message, e.$metadata, Object.keys(e)) }
const srv2 = net.createServer(s=>{ }).listen(0);
await new Promise(r=>srv2.on('listening',r));
const c3 = new DynamoDBClient({maxAttempts:1, endpoint:`http://127.0.0.1:${srv2.address().port}`, requestHandler: new NodeHttpHandler({requestTimeout:500})});
try { await c3.send(new DescribeTableCommand({TableName:'x'})) } catch(e){ console.log(e.name, e.code, e.message, e.$metadata, Object.keys(e)) }
process.exit(0)
