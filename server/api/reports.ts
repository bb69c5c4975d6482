import express, { type Router } from 'express';
import { loadSession, requireRole } from '../auth/sessions';
import type { AppContext } from '../context';
import { parseInput } from '../sla/parseInput';
import { ReportQuerySchema, reportCsv, supervisorReport } from '../sla/supervisorReport';

/** /api/v1/reports: the supervisor report as JSON, and `/export.csv` with the same filters. */
export function reportsRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(loadSession(ctx), requireRole('supervisor', 'admin'));
  router.get('/', async (req, res) => {
    res.json(await supervisorReport(ctx.db.sequelize, parseInput(ReportQuerySchema, req.query)));
  });
  router.get('/export.csv', async (req, res) => {
    const query = parseInput(ReportQuerySchema, req.query);
    const report = await supervisorReport(ctx.db.sequelize, query);
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="raport-${query.from}-${query.to}.csv"`);
    // A BOM so spreadsheet programs read the Romanian diacritics as UTF-8.
    res.send(`\uFEFF${reportCsv(report)}`);
  });
  return router;
}
