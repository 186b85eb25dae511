-- A user of stock Neovim (its built-in LSP client, no plugin) driving autogpt-ls through one goal:
-- run it with workspace/executeCommand, open the file the hint diagnostic marks and apply its code action
-- "AutoGPT: Approve edit", and pick "Approve" (or the first of $NVIM_PICK's answers it offers) in every
-- window/showMessageRequest prompt (Neovim's own handler asks with inputlist, answered here as a user would type
-- the number). What the editor was shown is written
-- as JSON to $NVIM_REPORT; a goal that does not end in time exits with an error.
local workspace = assert(os.getenv('AUTOGPT_WORKSPACE'))
local report = assert(os.getenv('NVIM_REPORT'))
local seen = { prompts = {}, messages = {}, actions = {}, errors = {} }

local function finish(code)
  vim.fn.writefile({ vim.fn.json_encode(seen) }, report)
  vim.cmd((code == 0 and 'qall!') or 'cquit! ' .. code)
end

local picks = vim.split(os.getenv('NVIM_PICK') or 'Approve', ',', { plain = true }) -- the answers a user picks

vim.fn.inputlist = function(options) -- options: the message, a heading, then "1. Approve", "2. ..."
  table.insert(seen.prompts, options[1])
  for _, option in ipairs(options) do
    local number, title = option:match('^(%d+)%. (.*)$')
    if number and vim.tbl_contains(picks, title) then return tonumber(number) end
  end
  return 0
end

local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, result, ctx, config)
  table.insert(seen.messages, result.message)
  return show_message(err, result, ctx, config)
end

local hints = {} -- uri -> the autogpt diagnostics published for it
local publish = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  hints[result.uri] = vim.tbl_filter(function(d) return d.source == 'autogpt' end, result.diagnostics)
  return publish(err, result, ctx, config)
end

local client_id = vim.lsp.start_client({
  name = 'autogpt',
  cmd = { assert(os.getenv('AUTOGPT_PYTHON')), '-m', 'autogpt_ls', 'lsp' },
  root_dir = workspace,
  workspace_folders = { { uri = vim.uri_from_fname(workspace), name = 'workspace' } },
})
local client = vim.lsp.get_client_by_id(client_id)
if not vim.wait(20000, function() return client.initialized end, 50) then
  table.insert(seen.errors, 'the server did not initialize')
  finish(2)
end

-- Open the file a pending edit marks and apply its "Approve edit" code action (a server command).
local function approve_edit(uri, diagnostic)
  local bufnr = vim.uri_to_bufnr(uri)
  vim.fn.bufload(bufnr)
  vim.lsp.buf_attach_client(bufnr, client_id)
  local params = { textDocument = { uri = uri }, range = diagnostic.range, context = { diagnostics = { diagnostic } } }
  client.request('textDocument/codeAction', params, function(err, actions)
    if err then return table.insert(seen.errors, err.message) end
    for _, action in ipairs(actions or {}) do
      table.insert(seen.actions, action.title)
      if action.title == 'AutoGPT: Approve edit' then
        client.request('workspace/executeCommand', action.command, function(e)
          if e then table.insert(seen.errors, e.message) end
        end, bufnr)
      end
    end
  end, bufnr)
end

client.request('workspace/executeCommand', {
  command = 'autogpt.server.runGoal',
  arguments = { { goal = os.getenv('AUTOGPT_GOAL') } },
}, function(err, result)
  if err then table.insert(seen.errors, err.message) else seen.task_id = result.taskId end
end, 0)

local deadline, approved, code = vim.loop.now() + 60000, {}, 4
while vim.loop.now() < deadline and code == 4 do
  vim.wait(50)
  for uri, diagnostics in pairs(hints) do
    for _, d in ipairs(diagnostics) do
      if not approved[d.code] then
        approved[d.code] = true
        approve_edit(uri, d)
      end
    end
  end
  for _, message in ipairs(seen.messages) do
    if seen.task_id and message:find('AutoGPT task ' .. seen.task_id, 1, true) then
      seen.ended, code = message, 0
    end
  end
  if #seen.errors > 0 then code = 3 end
end
if code == 4 then table.insert(seen.errors, 'the task did not end in time') end
finish(code)
