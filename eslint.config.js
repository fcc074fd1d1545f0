// The dashboard is plain ES modules served as they are (no bundler): lint them for the browser.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["dashboard/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, Plotly: "readonly" },
    },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "prefer-const": "error",
      "no-var": "error",
      // Pages are built from DOM nodes, never from interpolated HTML strings.
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "build nodes with el() / textContent instead" },
        { property: "outerHTML", message: "build nodes with el() / textContent instead" },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='insertAdjacentHTML']",
          message: "build nodes with el() / textContent instead",
        },
      ],
    },
  },
];
