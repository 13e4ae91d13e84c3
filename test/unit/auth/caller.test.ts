import t from 'tap'
import { ANONYMOUS, allows, isReadOnly, keyScopes, type CallerContext } from '../../../src/auth/caller.js'

const withScopes = (...scopes: Array<'orders:read' | 'orders:cancel'>): CallerContext => ({ ...ANONYMOUS, scopes: new Set(scopes), via: 'token' })

t.test('orders:cancel includes reading; orders:read alone is read-only', async (t) => {
  t.ok(allows(withScopes('orders:cancel'), 'orders:read'))
  t.ok(allows(withScopes('orders:cancel'), 'orders:cancel'))
  t.ok(allows(withScopes('orders:read'), 'orders:read'))
  t.notOk(allows(withScopes('orders:read'), 'orders:cancel'))
  t.notOk(allows(withScopes(), 'orders:read'))
  t.ok(isReadOnly(withScopes('orders:read')))
  t.ok(isReadOnly(withScopes()))
  t.notOk(isReadOnly(withScopes('orders:cancel')))
  t.notOk(isReadOnly(ANONYMOUS), 'without authentication everyone may do everything')
  t.same([...keyScopes(true)], ['orders:read'])
  t.same([...keyScopes(false)], ['orders:read', 'orders:cancel'])
})
